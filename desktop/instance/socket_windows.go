package instance

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/windows"
)

// On Windows a named mutex says who is primary and a named pipe carries
// requests. Both names carry the user's SID, so users never meet; the pipe
// rejects remote clients and keeps the default DACL (owner, SYSTEM,
// administrators).

func userSID() string {
	tok := windows.GetCurrentProcessToken()
	u, err := tok.GetTokenUser()
	if err != nil {
		return strings.ReplaceAll(os.Getenv("USERNAME"), `\`, "_")
	}
	return u.User.Sid.String()
}

func pipeName() string { return `\\.\pipe\` + BusName + "-" + userSID() }

func acquireSocket(opts Options, req Request, h Handler, log *slog.Logger) (*Primary, error) {
	name, err := windows.UTF16PtrFromString(`Local\` + BusName + "-" + userSID())
	if err != nil {
		return nil, err
	}
	mutex, err := windows.CreateMutex(nil, false, name)
	if errors.Is(err, windows.ERROR_ALREADY_EXISTS) {
		windows.CloseHandle(mutex)
		var ferr error
		for i := 0; i < 50; i++ { // the primary may still be creating its pipe
			if ferr = forwardPipe(req); ferr == nil {
				return nil, ErrForwarded
			}
			time.Sleep(20 * time.Millisecond)
		}
		return nil, fmt.Errorf("another modelpeek runs but does not answer: %w", ferr)
	}
	if err != nil {
		return nil, fmt.Errorf("create mutex: %w", err)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		servePipe(done, h, log)
	}()
	closeFn := sync.OnceValue(func() error {
		close(done)
		forwardPipe(Request{}) // wake the listener blocked in ConnectNamedPipe
		wg.Wait()
		return windows.CloseHandle(mutex)
	})
	return &Primary{Via: "pipe", closers: []func() error{closeFn}}, nil
}

func servePipe(done <-chan struct{}, h Handler, log *slog.Logger) {
	name, _ := windows.UTF16PtrFromString(pipeName())
	for {
		p, err := windows.CreateNamedPipe(name, windows.PIPE_ACCESS_DUPLEX,
			windows.PIPE_TYPE_BYTE|windows.PIPE_READMODE_BYTE|windows.PIPE_WAIT|windows.PIPE_REJECT_REMOTE_CLIENTS,
			windows.PIPE_UNLIMITED_INSTANCES, 4096, 4096, 0, nil)
		if err != nil {
			log.Warn("single instance: create pipe", "err", err)
			return
		}
		err = windows.ConnectNamedPipe(p, nil)
		select {
		case <-done:
			windows.CloseHandle(p)
			return
		default:
		}
		if err == nil || errors.Is(err, windows.ERROR_PIPE_CONNECTED) {
			f := os.NewFile(uintptr(p), "pipe")
			var r Request
			if derr := json.NewDecoder(io.LimitReader(f, maxRequest)).Decode(&r); derr == nil && allAbsolute(r.Paths) {
				h(r)
				f.Write([]byte("ok\n"))
			} else {
				f.Write([]byte("error: bad request\n"))
			}
			f.Close()
			continue
		}
		windows.CloseHandle(p)
	}
}

func forwardPipe(req Request) error {
	name, _ := windows.UTF16PtrFromString(pipeName())
	h, err := windows.CreateFile(name, windows.GENERIC_READ|windows.GENERIC_WRITE, 0, nil, windows.OPEN_EXISTING, 0, 0)
	if err != nil {
		return err
	}
	f := os.NewFile(uintptr(h), "pipe")
	defer f.Close()
	if err := json.NewEncoder(f).Encode(req); err != nil {
		return err
	}
	buf := make([]byte, 64)
	n, _ := f.Read(buf)
	if string(buf[:n]) != "ok\n" {
		return fmt.Errorf("the running modelpeek refused: %q", buf[:n])
	}
	return nil
}

const maxRequest = 1 << 20
