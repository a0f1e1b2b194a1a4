//go:build unix

package instance

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// maxRequest bounds what a client may send (paths are absolute, so this
// allows thousands of them).
const maxRequest = 1 << 20

// socketDir returns the per-user 0700 directory for the socket and lock,
// creating it, and refusing one owned by someone else or open to others.
func socketDir(opts Options) (string, error) {
	dir := opts.Dir
	if dir == "" {
		if rt := os.Getenv("XDG_RUNTIME_DIR"); rt != "" {
			dir = filepath.Join(rt, "modelpeek")
		} else {
			dir = filepath.Join(os.TempDir(), "modelpeek-"+strconv.Itoa(os.Getuid()))
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	var st unix.Stat_t
	if err := unix.Lstat(dir, &st); err != nil {
		return "", err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return "", fmt.Errorf("%s is not a directory", dir)
	}
	if int(st.Uid) != os.Getuid() {
		return "", fmt.Errorf("%s belongs to another user", dir)
	}
	if st.Mode&0o077 != 0 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return "", err
		}
	}
	return dir, nil
}

func acquireSocket(opts Options, req Request, h Handler, log *slog.Logger) (*Primary, error) {
	dir, err := socketDir(opts)
	if err != nil {
		return nil, fmt.Errorf("socket directory: %w", err)
	}
	sock := filepath.Join(dir, "instance.sock")
	lock, err := os.OpenFile(filepath.Join(dir, "instance.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	// Whoever holds the lock is the primary; the lock dies with its holder,
	// so a crash leaves nothing that can block the next start.
	for attempt := 0; ; attempt++ {
		if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX|unix.LOCK_NB); err == nil {
			break
		}
		ferr := forwardSocket(sock, req)
		if ferr == nil {
			lock.Close()
			return nil, ErrForwarded
		}
		// The holder may be starting up (lock taken, socket not yet
		// listening): retry briefly, then give up.
		if attempt >= 50 {
			lock.Close()
			return nil, fmt.Errorf("another modelpeek holds %s but does not answer: %w", lock.Name(), ferr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	os.Remove(sock) // stale socket of a crashed primary
	ln, err := net.Listen("unix", sock)
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("listen on %s: %w", sock, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		serveSocket(ctx, ln.(*net.UnixListener), h, log)
	}()
	closeFn := sync.OnceValue(func() error {
		cancel()
		err := ln.Close()
		wg.Wait()
		os.Remove(sock)
		lock.Close()
		return err
	})
	return &Primary{Via: "socket", closers: []func() error{closeFn}}, nil
}

func serveSocket(ctx context.Context, ln *net.UnixListener, h Handler, log *slog.Logger) {
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		c, err := ln.AcceptUnix()
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, net.ErrClosed) {
				log.Warn("single instance: accept", "err", err)
			}
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			if err := handleConn(c, h); err != nil {
				log.Warn("single instance: refused a request", "err", err)
			}
		}()
	}
}

func handleConn(c *net.UnixConn, h Handler) error {
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if err := checkPeer(c); err != nil {
		io.WriteString(c, "error: "+err.Error()+"\n")
		return err
	}
	var req Request
	if err := json.NewDecoder(io.LimitReader(c, maxRequest)).Decode(&req); err != nil {
		io.WriteString(c, "error: bad request\n")
		return fmt.Errorf("decode request: %w", err)
	}
	if !allAbsolute(req.Paths) {
		io.WriteString(c, "error: paths must be absolute\n")
		return fmt.Errorf("relative path in %q", req.Paths)
	}
	h(req)
	_, err := io.WriteString(c, "ok\n")
	return err
}

func forwardSocket(sock string, req Request) error {
	c, err := net.DialTimeout("unix", sock, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	werr := json.NewEncoder(c).Encode(req)
	// A primary that refuses us (wrong uid) answers and hangs up before
	// reading, so a failed write may still have an answer waiting.
	line, err := bufio.NewReader(io.LimitReader(c, 4096)).ReadString('\n')
	if werr != nil && !strings.HasPrefix(line, "error:") {
		return werr
	}
	if err != nil {
		return fmt.Errorf("no answer from the running modelpeek: %w", err)
	}
	if line != "ok\n" {
		return fmt.Errorf("the running modelpeek refused: %s", line)
	}
	return nil
}
