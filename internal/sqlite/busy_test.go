package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
)

// TestIsBusy checks that isBusy knows the error SQLite gives a writer that
// finds the database locked, and no other.
func TestIsBusy(t *testing.T) {
	path := filepath.Join(t.TempDir(), "busy.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	tx, err := s.db.BeginTx(ctx, nil) // takes the write lock (_txlock=immediate)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	// A second handle that does not wait for locks.
	other, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(0)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	_, err = other.BeginTx(ctx, nil)
	if !isBusy(err) {
		t.Fatalf("isBusy(%v) = false for a locked database", err)
	}
	if isBusy(errors.New("database is locked")) || isBusy(nil) {
		t.Error("isBusy is true for an error that is not SQLite's")
	}
}
