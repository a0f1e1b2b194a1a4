// Package tray drives the real modelpeek binary through its tray menu
// over a private D-Bus session bus (Linux): Stop viewer really closes the
// port, Start viewer serves again, Quit ends the process with open SSE
// streams and a slow client connected. It has tests only.
package tray
