//go:build darwin && cgo

package instance

/*
#cgo CFLAGS: -x objective-c -fobjc-arc
#cgo LDFLAGS: -framework Cocoa
#import <Cocoa/Cocoa.h>
#import <objc/runtime.h>
#include <stdlib.h>

extern void modelpeekOpenFiles(char **paths, int n);

// Finder, the Dock and `open -a` deliver files as kAEOpenDocuments Apple
// events, which AppKit turns into application:openURLs: on the app
// delegate. fyne.io/systray's delegate does not implement it, so add the
// method to its class at run time, before the app finishes launching.
static void mp_openURLs(id self, SEL _cmd, NSApplication *app, NSArray<NSURL *> *urls) {
	int n = (int)[urls count];
	char **paths = calloc(n > 0 ? n : 1, sizeof(char *));
	int k = 0;
	for (NSURL *u in urls) {
		if ([u isFileURL]) {
			paths[k++] = strdup([[u path] fileSystemRepresentation]);
		}
	}
	modelpeekOpenFiles(paths, k);
	for (int i = 0; i < k; i++) free(paths[i]);
	free(paths);
}

static int mp_installOpenHandler(void) {
	Class cls = objc_getClass("SystrayAppDelegate");
	if (cls == nil) return -1;
	return class_addMethod(cls, @selector(application:openURLs:), (IMP)mp_openURLs, "v@:@@") ? 0 : -2;
}
*/
import "C"

import (
	"errors"
	"sync/atomic"
	"unsafe"
)

// openFiles receives files from Apple events. AppKit calls back into C with
// no user data, so the handler has to live in a package variable; it is set
// once, before the event loop starts.
var openFiles atomic.Pointer[func([]string)]

//export modelpeekOpenFiles
func modelpeekOpenFiles(paths **C.char, n C.int) {
	h := openFiles.Load()
	if h == nil || n <= 0 {
		return
	}
	list := unsafe.Slice(paths, int(n))
	out := make([]string, 0, len(list))
	for _, p := range list {
		out = append(out, C.GoString(p))
	}
	(*h)(out)
}

// InstallOpenFileHandler routes files opened from Finder, the Dock or
// `open -a modelpeek FILE` to h. Call it before the tray's run loop starts.
func InstallOpenFileHandler(h func(paths []string)) error {
	openFiles.Store(&h)
	switch C.mp_installOpenHandler() {
	case -1:
		return errors.New("the tray's app delegate class is not linked in")
	case -2:
		return errors.New("the app delegate already handles opened files")
	}
	return nil
}
