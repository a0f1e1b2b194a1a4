package coreml

import (
	"errors"
	"fmt"
)

// locatedError is an error that already says where in the model it
// happened (which layer, operation, feature).
type locatedError struct {
	msg string
	err error
}

func (e *locatedError) Error() string { return e.msg }
func (e *locatedError) Unwrap() error { return e.err }

// within adds where an error happened, once: an error from deep inside
// nested networks, pipelines or blocks keeps its innermost place, so a
// hostile nesting cannot make a message thousands of places long.
func within(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	var le *locatedError
	if errors.As(err, &le) {
		return err
	}
	return &locatedError{msg: fmt.Sprintf(format, args...) + ": " + err.Error(), err: err}
}
