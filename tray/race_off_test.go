//go:build !race

package tray_test

const raceEnabled = false
