// Package security attacks the built modelpeek binary end to end: it
// starts `modelpeek serve` on a free loopback port and throws hostile web
// requests at it over raw sockets and net/http (DNS rebinding, cross-site
// requests, missing session, path traversal, oversized and slow requests,
// SSE injection), checks the security headers of every answer, and checks
// that Quit (SIGTERM) ends the process promptly while slow and
// stuck clients and parses are in flight. It holds tests only.
package security
