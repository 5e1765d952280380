// Package sqlite is the embedded claims store: SQLite through the pure-Go
// modernc.org/sqlite driver (no cgo), in WAL mode, one file under the data
// directory. It is the default; claims/postgres is the production store.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/copycat-video/copycat/claims"
	"github.com/copycat-video/copycat/claims/internal/sqlstore"
	"github.com/copycat-video/copycat/models"
)

//go:embed migrations/*.sql
var migrations embed.FS

// FileName is the store's file inside the data directory.
const FileName = "claims.db"

// Store is the SQLite claims store.
type Store struct {
	*sqlstore.Store
}

var _ claims.Store = (*Store)(nil)

// OpenDir opens (creating if needed) <dir>/claims.db.
func OpenDir(ctx context.Context, dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, models.WrapError(models.EInvalid, err, "claims store: create data directory %s", dir)
	}
	return Open(ctx, filepath.Join(dir, FileName))
}

// Open opens (creating if needed) the SQLite database at path and applies
// the embedded migrations.
//
// Write transactions start with BEGIN IMMEDIATE (_txlock=immediate): a
// deferred transaction that reads and then writes can fail with SQLITE_BUSY
// at the upgrade no matter the busy timeout, while an immediate one queues
// for the write lock up front. busy_timeout makes waiters block instead of
// failing; WAL lets readers proceed during a write.
func Open(ctx context.Context, path string) (*Store, error) {
	// The driver takes a URI; these characters would end the path early.
	if path == "" || strings.ContainsAny(path, "?#\x00") {
		return nil, models.Errorf(models.EInvalid, "claims store: unusable SQLite path %q", path)
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, models.WrapError(models.EUnavailable, err, "claims store: open %s", path)
	}
	// A handful of connections is plenty: SQLite has a single writer.
	db.SetMaxOpenConns(4)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, models.WrapError(models.EUnavailable, err, "claims store: open %s", path)
	}
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("claims store: %w", err)
	}
	st, err := sqlstore.New(ctx, db, sqlstore.Dialect{Name: "sqlite", Migrations: sub, Classify: classify})
	if err != nil {
		db.Close()
		return nil, err
	}
	return &Store{st}, nil
}

// classify maps SQLite result codes to models error codes.
func classify(err error) string {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return ""
	}
	switch se.Code() & 0xff { // primary result code
	case sqlite3.SQLITE_CONSTRAINT:
		return models.EConflict
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return models.EUnavailable
	case sqlite3.SQLITE_FULL, sqlite3.SQLITE_READONLY:
		return models.EUnavailable
	}
	return ""
}
