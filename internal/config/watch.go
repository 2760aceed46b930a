package config

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// watchDebounce is how long Watch waits after the last event before calling
// onChange, so that an editor's burst of writes and renames is one change.
const watchDebounce = 200 * time.Millisecond

// Watch calls onChange each time the file at path is written, created or
// renamed, after the events have been quiet for 200ms. It watches the
// file's directory rather than the file, because editors and deployment
// tools replace a file by renaming another onto it. onChange runs on
// Watch's goroutine, never concurrently with itself. Watch returns nil when
// ctx is done, or an error when the watch cannot be set up or fails.
func Watch(ctx context.Context, path string, onChange func()) error {
	w, err := NewWatcher(path)
	if err != nil {
		return err
	}
	return w.Run(ctx, onChange)
}

// Watcher watches one config file. NewWatcher arms it, so that a change made
// after NewWatcher returns is never missed; Run reports the changes.
type Watcher struct {
	path string
	abs  string
	w    *fsnotify.Watcher
}

// NewWatcher starts watching the file at path.
func NewWatcher(path string) (*Watcher, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("watching %s: %w", path, err)
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("watching %s: %w", path, err)
	}
	if err := w.Add(filepath.Dir(abs)); err != nil {
		w.Close()
		return nil, fmt.Errorf("watching %s: %w", path, err)
	}
	return &Watcher{path: path, abs: abs, w: w}, nil
}

// Run calls onChange as Watch does, until ctx is done; it then releases the
// watch.
func (wt *Watcher) Run(ctx context.Context, onChange func()) error {
	w, abs, path := wt.w, wt.abs, wt.path
	defer w.Close()

	timer := time.NewTimer(watchDebounce)
	timer.Stop()
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			if relevant(ev, abs) {
				timer.Reset(watchDebounce)
			}
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				// Events were lost; the file may have changed.
				timer.Reset(watchDebounce)
				continue
			}
			return fmt.Errorf("watching %s: %w", path, err)
		case <-timer.C:
			onChange()
		}
	}
}

// relevant reports whether ev changes the file at path.
func relevant(ev fsnotify.Event, path string) bool {
	return filepath.Clean(ev.Name) == path && ev.Has(fsnotify.Write|fsnotify.Create|fsnotify.Rename)
}
