package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// maxUploadFiles caps the files of one multipart upload.
const maxUploadFiles = 32

// safeExt is the file name suffix kept on stored uploads (it breaks ties in
// format detection); anything else is dropped.
var safeExt = regexp.MustCompile(`^\.[a-z0-9_]{1,12}$`)

type uploadResult struct {
	IDs []string `json:"ids"`
}

// handleUpload stores the request body (raw, named by X-Filename, or
// multipart/form-data file parts) in the upload directory and adds the
// files to the library.
func (r *run) handleUpload(w http.ResponseWriter, req *http.Request) {
	cfg := &r.s.cfg
	if cfg.UploadDir == "" {
		jsonError(w, http.StatusServiceUnavailable, "uploads are disabled")
		return
	}
	select {
	case r.s.uploads <- struct{}{}:
		defer func() { <-r.s.uploads }()
	default:
		w.Header().Set("Retry-After", "2")
		jsonError(w, http.StatusServiceUnavailable, "too many uploads at once; try again")
		return
	}
	limit, ok := r.uploadLimit(w, req)
	if !ok {
		return
	}
	rc := http.NewResponseController(w)
	body := &idleReader{r: http.MaxBytesReader(w, req.Body, limit), rc: rc, idle: cfg.UploadIdle}
	// When the client leaves or the server stops, a read in progress
	// fails at once instead of waiting for the idle deadline.
	stopRead := context.AfterFunc(req.Context(), body.stop)
	defer stopRead()

	files, err := r.saveUpload(body, req)
	keep := false
	defer func() {
		if !keep {
			for _, f := range files {
				os.Remove(f.Path)
			}
		}
	}()
	if err != nil {
		r.uploadFailed(w, req, rc, err, limit)
		return
	}
	if len(files) == 0 {
		jsonError(w, http.StatusBadRequest, "the upload holds no file")
		return
	}
	rc.SetReadDeadline(time.Time{})
	ids, err := cfg.Library.AddUploads(files)
	if err != nil {
		jsonError(w, http.StatusInternalServerError, err.Error())
		return
	}
	keep = true
	r.deadline(w)
	writeJSON(w, http.StatusOK, uploadResult{IDs: ids})
}

// uploadLimit is how many body bytes an upload may send: MaxUpload, less
// when the upload directory's quota has less room. It answers a body
// declared too large itself (ok false).
func (r *run) uploadLimit(w http.ResponseWriter, req *http.Request) (limit int64, ok bool) {
	cfg := &r.s.cfg
	if req.ContentLength > cfg.MaxUpload {
		w.Header().Set("Connection", "close")
		jsonError(w, http.StatusRequestEntityTooLarge, tooLarge(cfg.MaxUpload))
		return 0, false
	}
	// The body may also not fill the upload directory past its quota.
	limit = cfg.MaxUpload
	room := cfg.UploadQuota - dirBytes(cfg.UploadDir)
	if room < limit {
		limit = max(room, 0)
	}
	if req.ContentLength > limit || limit == 0 {
		w.Header().Set("Connection", "close")
		jsonError(w, http.StatusInsufficientStorage, quotaFull(cfg.UploadQuota))
		return 0, false
	}
	return limit, true
}

// saveUpload stores the body's files: the parts of a multipart form, or
// the body itself named by X-Filename. The files stored so far come back
// with an error too, for the caller to remove.
func (r *run) saveUpload(body io.Reader, req *http.Request) ([]Upload, error) {
	mt, params, _ := mime.ParseMediaType(req.Header.Get("Content-Type"))
	if mt == "multipart/form-data" {
		return r.saveMultipart(body, params["boundary"])
	}
	f, err := r.saveFile(body, req.Header.Get("X-Filename"))
	if err != nil {
		return nil, err
	}
	return []Upload{f}, nil
}

// uploadFailed answers an upload whose body could not be stored: a
// client that stalled or left (or a server stopping) loses the
// connection; a body past the limit gets 413, or 507 when the quota set
// the limit; anything else 400.
func (r *run) uploadFailed(w http.ResponseWriter, req *http.Request, rc *http.ResponseController, err error, limit int64) {
	cfg := &r.s.cfg
	var ne net.Error
	if req.Context().Err() != nil || errors.Is(err, errUploadStopped) || errors.As(err, &ne) && ne.Timeout() {
		// Drop the connection without an answer or more reading.
		rc.SetReadDeadline(time.Now())
		panic(http.ErrAbortHandler)
	}
	// net/http reads (and drops) a little of what is left of the body
	// so the client sees our answer; a stalled client gets a second.
	rc.SetReadDeadline(time.Now().Add(time.Second))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		if limit < cfg.MaxUpload {
			jsonError(w, http.StatusInsufficientStorage, quotaFull(cfg.UploadQuota))
			return
		}
		jsonError(w, http.StatusRequestEntityTooLarge, tooLarge(cfg.MaxUpload))
		return
	}
	w.Header().Set("Connection", "close")
	jsonError(w, http.StatusBadRequest, "upload failed: "+err.Error())
}

func tooLarge(limit int64) string {
	return fmt.Sprintf("file too large (limit %d bytes)", limit)
}

func quotaFull(quota int64) string {
	return fmt.Sprintf("not enough room for uploads: open uploads may use %d bytes in all; close some tabs first", quota)
}

// dirBytes is the size of the files in dir (uploads in progress count
// with what they have received so far).
func dirBytes(dir string) int64 {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	var n int64
	for _, e := range ents {
		if fi, err := e.Info(); err == nil && fi.Mode().IsRegular() {
			n += fi.Size()
		}
	}
	return n
}

func (r *run) saveMultipart(body io.Reader, boundary string) ([]Upload, error) {
	if boundary == "" {
		return nil, errors.New("multipart body without boundary")
	}
	mr := multipart.NewReader(body, boundary)
	var files []Upload
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return files, nil
		}
		if err != nil {
			return files, err
		}
		if part.FileName() == "" {
			part.Close()
			continue
		}
		if len(files) == maxUploadFiles {
			return files, fmt.Errorf("more than %d files in one upload", maxUploadFiles)
		}
		f, err := r.saveFile(part, part.FileName())
		part.Close()
		if err != nil {
			return files, err
		}
		files = append(files, f)
	}
}

// saveFile streams src into a new file with a random name in the upload
// directory; the partial file is removed on error.
func (r *run) saveFile(src io.Reader, name string) (Upload, error) {
	name = displayName(name)
	ext := strings.ToLower(filepath.Ext(name))
	if !safeExt.MatchString(ext) {
		ext = ""
	}
	f, err := os.CreateTemp(r.s.cfg.UploadDir, "up-*"+ext)
	if err != nil {
		return Upload{}, fmt.Errorf("cannot store the upload: %w", err)
	}
	_, err = io.Copy(f, src)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return Upload{}, err
	}
	return Upload{Path: f.Name(), Name: name}, nil
}

// displayName turns a client-given file name (percent-encoded or not) into
// a short base name for display; it is never used as a path.
func displayName(raw string) string {
	if dec, err := url.PathUnescape(raw); err == nil {
		raw = dec
	}
	raw = strings.ReplaceAll(raw, `\`, "/")
	if i := strings.LastIndex(raw, "/"); i >= 0 {
		raw = raw[i+1:]
	}
	raw = strings.ToValidUTF8(raw, "\uFFFD")
	raw = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			return -1
		}
		return r
	}, raw)
	if utf8.RuneCountInString(raw) > 200 {
		raw = string([]rune(raw)[:200])
	}
	if raw == "" || raw == "." || raw == ".." {
		raw = "upload"
	}
	return raw
}

// idleReader moves the connection's read deadline forward before every
// read, so a client that stops sending is dropped after idle while a slow
// but steady one is not. After stop, reads fail at once.
type idleReader struct {
	r    io.Reader
	rc   *http.ResponseController
	idle time.Duration

	mu      sync.Mutex
	stopped bool
}

func (ir *idleReader) Read(p []byte) (int, error) {
	ir.mu.Lock()
	if ir.stopped {
		ir.mu.Unlock()
		return 0, errUploadStopped
	}
	ir.rc.SetReadDeadline(time.Now().Add(ir.idle))
	ir.mu.Unlock()
	return ir.r.Read(p)
}

// stop makes the read in progress, and every later one, fail.
func (ir *idleReader) stop() {
	ir.mu.Lock()
	defer ir.mu.Unlock()
	ir.stopped = true
	ir.rc.SetReadDeadline(time.Now())
}

var errUploadStopped = errors.New("upload cancelled")
