package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/ceap/ceap/internal/store"
)

// BucketCreate inserts a bucket.
func (db *DB) BucketCreate(ctx context.Context, p *store.BucketCreateParams) error {
	b := &p.Bucket
	err := db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO s3_buckets (name, account, region, created, versioning, tags, lifecycle) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			b.Name, b.Account, b.Region, store.Millis(b.Created), b.Versioning, b.Tags, b.Lifecycle)
		return err
	})
	if isUnique(err) {
		return fmt.Errorf("bucket %s: %w", b.Name, store.ErrAlreadyExists)
	}
	return err
}

const bucketCols = `name, account, region, created, versioning, tags, lifecycle`

func scanBucket(row interface{ Scan(...any) error }) (*store.BucketRow, error) {
	b := &store.BucketRow{}
	var created int64
	if err := row.Scan(&b.Name, &b.Account, &b.Region, &created, &b.Versioning, &b.Tags, &b.Lifecycle); err != nil {
		return nil, err
	}
	b.Created = store.FromMillis(created)
	return b, nil
}

// readStmtPrefix marks, in the statement cache, statements prepared on the read pool (database/sql
// prepares them once on each reader connection) rather than on the writer.
const readStmtPrefix = "read:"

// readStmt returns query prepared on the read pool. The object reads on the request path (GET,
// HEAD, listings) use it: parsing and planning a statement costs more than running it.
func (db *DB) readStmt(ctx context.Context, query string) (*sql.Stmt, error) {
	key := readStmtPrefix + query
	if st, ok := db.stmts.Load(key); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := db.readers.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := db.stmts.LoadOrStore(key, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

// readRow runs a one-row query prepared on the read pool and scans it; no row is store.ErrNotFound.
// A cancelled ctx stops it before it starts; the query itself, microseconds of work, runs without
// ctx's cancellation, which would cost database/sql a goroutine per query to watch it.
func readRow[T any](ctx context.Context, db *DB, scan func(interface{ Scan(...any) error }) (T, error), query string, args ...any) (T, error) {
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	ctx = context.WithoutCancel(ctx)
	st, err := db.readStmt(ctx, query)
	if err != nil {
		return zero, err
	}
	v, err := scan(st.QueryRowContext(ctx, args...))
	if err != nil {
		return zero, notFound(err)
	}
	return v, nil
}

// readRows runs a query prepared on the read pool and calls each for every row.
func (db *DB) readRows(ctx context.Context, each func(*sql.Rows) error, query string, args ...any) error {
	st, err := db.readStmt(ctx, query)
	if err != nil {
		return err
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := each(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// BucketGet returns a bucket by name.
func (db *DB) BucketGet(ctx context.Context, name string) (*store.BucketRow, error) {
	var b *store.BucketRow
	err := db.read(ctx, func(c *sql.Conn) error {
		var err error
		b, err = scanBucket(c.QueryRowContext(ctx, `SELECT `+bucketCols+` FROM s3_buckets WHERE name = ?`, name))
		return notFound(err)
	})
	if err != nil {
		return nil, fmt.Errorf("bucket %s: %w", name, err)
	}
	return b, nil
}

// BucketList returns an account's buckets (all buckets for account "").
func (db *DB) BucketList(ctx context.Context, p *store.BucketListParams) ([]*store.BucketRow, error) {
	var out []*store.BucketRow
	err := db.read(ctx, func(c *sql.Conn) error {
		rows, err := c.QueryContext(ctx, `SELECT `+bucketCols+` FROM s3_buckets WHERE ? = '' OR account = ? ORDER BY name`, p.Account, p.Account)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			b, err := scanBucket(rows)
			if err != nil {
				return err
			}
			out = append(out, b)
		}
		return rows.Err()
	})
	return out, err
}

// BucketUpdate changes a bucket's settings.
func (db *DB) BucketUpdate(ctx context.Context, p *store.BucketUpdateParams) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		var sets []string
		var args []any
		if p.Versioning != nil {
			sets, args = append(sets, "versioning = ?"), append(args, *p.Versioning)
		}
		if p.Tags != nil {
			sets, args = append(sets, "tags = ?"), append(args, *p.Tags)
		}
		if p.Lifecycle != nil {
			sets, args = append(sets, "lifecycle = ?"), append(args, *p.Lifecycle)
		}
		if len(sets) == 0 {
			sets = []string{"name = name"}
		}
		res, err := tx.ExecContext(ctx, `UPDATE s3_buckets SET `+strings.Join(sets, ", ")+` WHERE name = ?`, append(args, p.Name)...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("bucket %s: %w", p.Name, store.ErrNotFound)
		}
		return nil
	})
}

// BucketDelete removes an empty bucket.
func (db *DB) BucketDelete(ctx context.Context, p *store.BucketDeleteParams) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		var busy int
		err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM s3_objects WHERE bucket = ?) OR EXISTS (SELECT 1 FROM s3_uploads WHERE bucket = ?)`, p.Name, p.Name).Scan(&busy)
		if err != nil {
			return err
		}
		if busy != 0 {
			return fmt.Errorf("bucket %s not empty: %w", p.Name, store.ErrConflict)
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM s3_buckets WHERE name = ?`, p.Name)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("bucket %s: %w", p.Name, store.ErrNotFound)
		}
		return nil
	})
}

// BucketStats counts a bucket's stored versions and bytes.
func (db *DB) BucketStats(ctx context.Context, bucket string) (*store.BucketStats, error) {
	s := &store.BucketStats{}
	err := db.read(ctx, func(c *sql.Conn) error {
		return c.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(size), 0) FROM s3_objects WHERE bucket = ? AND delete_marker = 0`, bucket).Scan(&s.Objects, &s.Bytes)
	})
	return s, err
}

const objectCols = `seq, bucket, key, version_id, is_latest, delete_marker, size, etag, created, noncurrent_since, blobs, attrs, tags`

func scanObject(row interface{ Scan(...any) error }) (*store.ObjectRow, error) {
	o := &store.ObjectRow{}
	var key []byte
	var created, since int64
	var blobs string
	if err := row.Scan(&o.Seq, &o.Bucket, &key, &o.VersionID, &o.IsLatest, &o.DeleteMarker, &o.Size, &o.ETag, &created, &since, &blobs, &o.Attrs, &o.Tags); err != nil {
		return nil, err
	}
	o.Key = string(key)
	o.Created, o.NoncurrentSince = store.FromMillis(created), store.FromMillis(since)
	o.Blobs = strings.Fields(blobs)
	return o, nil
}

// querier is a connection or a transaction.
type querier interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}

func queryObjects(ctx context.Context, q querier, query string, args ...any) ([]*store.ObjectRow, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*store.ObjectRow
	for rows.Next() {
		o, err := scanObject(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// ObjectPut stores a new latest version.
func (db *DB) ObjectPut(ctx context.Context, p *store.ObjectPutParams) (*store.ObjectPutResult, error) {
	var res *store.ObjectPutResult
	err := db.writeFlushed(ctx, p.Flush, func(tx *sql.Tx) error {
		// The committer checked ctx before running this writer; its statements take
		// microseconds and run without it, which spares the driver a goroutine per statement that
		// watches for cancellation (and a cancelled client the interruption of the connection
		// every writer of the batch shares).
		var err error
		res, err = db.putObject(context.WithoutCancel(ctx), tx, p)
		return err
	})
	return res, err
}

func (db *DB) putObject(ctx context.Context, tx *sql.Tx, p *store.ObjectPutParams) (*store.ObjectPutResult, error) {
	o := &p.Row
	key := []byte(o.Key)
	if p.IfNoneMatch || p.IfMatchETag != "" {
		// A missing bucket answers before a failed precondition.
		var one int
		if err := db.txRow(ctx, tx, `SELECT 1 FROM s3_buckets WHERE name = ?`, o.Bucket).Scan(&one); err != nil {
			return nil, fmt.Errorf("bucket %s: %w", o.Bucket, notFound(err))
		}
		var marker bool
		var etag string
		err := db.txRow(ctx, tx, `SELECT delete_marker, etag FROM s3_objects WHERE bucket = ? AND key = ? AND is_latest = 1`, o.Bucket, key).Scan(&marker, &etag)
		exists := err == nil && !marker
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		if p.IfNoneMatch && exists {
			return nil, fmt.Errorf("object %s exists: %w", o.Key, store.ErrConflict)
		}
		if p.IfMatchETag != "" {
			if !exists {
				return nil, fmt.Errorf("object %s: %w", o.Key, store.ErrNotFound)
			}
			if etag != p.IfMatchETag {
				return nil, fmt.Errorf("object %s etag: %w", o.Key, store.ErrConflict)
			}
		}
	}
	res := &store.ObjectPutResult{}
	// One look at the rows that the write changes (the null version it replaces, the latest it
	// demotes) spares a new key, the common case, any further statement.
	replaced, demoted, err := db.putTargets(ctx, tx, o.Bucket, key, o.VersionID == "null")
	if err != nil {
		return nil, err
	}
	if replaced.seq != 0 {
		if _, err := db.txExec(ctx, tx, `DELETE FROM s3_objects WHERE seq = ?`, replaced.seq); err != nil {
			return nil, err
		}
		res.Freed = strings.Fields(replaced.blobs)
	}
	for _, seq := range demoted {
		if _, err := db.txExec(ctx, tx, `UPDATE s3_objects SET is_latest = 0, noncurrent_since = ? WHERE seq = ?`, store.Millis(o.Created), seq); err != nil {
			return nil, err
		}
	}
	// The bucket's existence is checked by the insert itself: no row goes in without it.
	stmt, err := db.stmt(ctx, tx, `INSERT INTO s3_objects (bucket, key, version_id, is_latest, delete_marker, size, etag, created, noncurrent_since, blobs, attrs, tags)
		SELECT ?, ?, ?, 1, ?, ?, ?, ?, 0, ?, ?, ? WHERE EXISTS (SELECT 1 FROM s3_buckets WHERE name = ?)`)
	if err != nil {
		return nil, err
	}
	r, err := stmt.ExecContext(ctx, o.Bucket, key, o.VersionID, o.DeleteMarker, o.Size, o.ETag, store.Millis(o.Created), strings.Join(o.Blobs, " "), o.Attrs, o.Tags, o.Bucket)
	if err != nil {
		if isUnique(err) {
			return nil, fmt.Errorf("object %s version %s: %w", o.Key, o.VersionID, store.ErrAlreadyExists)
		}
		return nil, err
	}
	if n, err := r.RowsAffected(); err != nil || n == 0 {
		if err == nil {
			err = store.ErrNotFound
		}
		return nil, fmt.Errorf("bucket %s: %w", o.Bucket, err)
	}
	res.Seq, err = r.LastInsertId()
	return res, err
}

// putTarget is a version that a put replaces.
type putTarget struct {
	seq   int64
	blobs string
}

// putTargets returns the null version of a key when a null version is being written (it is
// replaced), and the latest versions other than that one (they are demoted).
func (db *DB) putTargets(ctx context.Context, tx *sql.Tx, bucket string, key []byte, null bool) (putTarget, []int64, error) {
	st, err := db.stmt(ctx, tx, `SELECT seq, version_id = 'null', is_latest, blobs FROM s3_objects WHERE bucket = ? AND key = ? AND (version_id = 'null' OR is_latest = 1)`)
	if err != nil {
		return putTarget{}, nil, err
	}
	rows, err := st.QueryContext(ctx, bucket, key)
	if err != nil {
		return putTarget{}, nil, err
	}
	defer rows.Close()
	var replaced putTarget
	var demoted []int64
	for rows.Next() {
		var t putTarget
		var isNull, latest bool
		if err := rows.Scan(&t.seq, &isNull, &latest, &t.blobs); err != nil {
			return putTarget{}, nil, err
		}
		switch {
		case isNull && null:
			replaced = t
		case latest:
			demoted = append(demoted, t.seq)
		}
	}
	return replaced, demoted, rows.Err()
}

// txRow runs a one-row query inside tx with a statement prepared on the writer (see stmt).
func (db *DB) txRow(ctx context.Context, tx *sql.Tx, query string, args ...any) *sql.Row {
	st, err := db.stmt(ctx, tx, query)
	if err != nil {
		return tx.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// txExec runs a statement inside tx, prepared on the writer (see stmt).
func (db *DB) txExec(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	st, err := db.stmt(ctx, tx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// ObjectGet returns one version.
func (db *DB) ObjectGet(ctx context.Context, p *store.ObjectGetParams) (*store.ObjectRow, error) {
	var o *store.ObjectRow
	var err error
	if p.VersionID == "" {
		o, err = readRow(ctx, db, scanObject, `SELECT `+objectCols+` FROM s3_objects WHERE bucket = ? AND key = ? AND is_latest = 1`, p.Bucket, []byte(p.Key))
	} else {
		o, err = readRow(ctx, db, scanObject, `SELECT `+objectCols+` FROM s3_objects WHERE bucket = ? AND key = ? AND version_id = ?`, p.Bucket, []byte(p.Key), p.VersionID)
	}
	if err != nil {
		return nil, fmt.Errorf("object %s: %w", p.Key, err)
	}
	return o, nil
}

// ObjectDelete removes one version.
func (db *DB) ObjectDelete(ctx context.Context, p *store.ObjectDeleteParams) (*store.ObjectRow, error) {
	var o *store.ObjectRow
	err := db.write(ctx, func(tx *sql.Tx) error {
		var err error
		o, err = deleteObject(ctx, tx, p)
		return err
	})
	return o, err
}

func deleteObject(ctx context.Context, tx *sql.Tx, p *store.ObjectDeleteParams) (*store.ObjectRow, error) {
	key := []byte(p.Key)
	o, err := scanObject(tx.QueryRowContext(ctx, `SELECT `+objectCols+` FROM s3_objects WHERE bucket = ? AND key = ? AND version_id = ?`, p.Bucket, key, p.VersionID))
	if err != nil {
		return nil, fmt.Errorf("object %s version %s: %w", p.Key, p.VersionID, notFound(err))
	}
	if p.IfSeq != 0 && o.Seq != p.IfSeq {
		return nil, fmt.Errorf("object %s version %s changed: %w", p.Key, p.VersionID, store.ErrConflict)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM s3_objects WHERE seq = ?`, o.Seq); err != nil {
		return nil, err
	}
	if o.IsLatest {
		if _, err := tx.ExecContext(ctx, `UPDATE s3_objects SET is_latest = 1, noncurrent_since = 0
			WHERE seq = (SELECT max(seq) FROM s3_objects WHERE bucket = ? AND key = ?)`, p.Bucket, key); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// listCols are the columns a listing reads: a page of 1,000 rows costs the driver per column.
const listCols = `key, version_id, size, etag, created, attrs`

// ObjectList lists current versions by key. The index range starts at the larger of After and
// Prefix and ends where keys stop starting with Prefix, so a page reads only its own rows, and
// every column from the index of current versions (migration 0041), none from the table.
func (db *DB) ObjectList(ctx context.Context, p *store.ObjectListParams) ([]*store.ObjectRow, error) {
	query, args := objectListQuery(p)
	st, err := db.readStmt(ctx, query)
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]*store.ObjectRow, 0, min(p.Limit, 1000))
	for rows.Next() {
		o := &store.ObjectRow{Bucket: p.Bucket, IsLatest: true}
		var key []byte
		var created int64
		if err := rows.Scan(&key, &o.VersionID, &o.Size, &o.ETag, &created, &o.Attrs); err != nil {
			return nil, err
		}
		o.Key, o.Created = string(key), store.FromMillis(created)
		out = append(out, o)
	}
	return out, rows.Err()
}

// objectListQuery is ObjectList's statement and its arguments.
func objectListQuery(p *store.ObjectListParams) (string, []any) {
	query := `SELECT ` + listCols + ` FROM s3_objects WHERE bucket = ? AND is_latest = 1 AND delete_marker = 0`
	args := []any{p.Bucket}
	if p.After >= p.Prefix {
		query, args = query+` AND key > ?`, append(args, []byte(p.After))
	} else {
		query, args = query+` AND key >= ?`, append(args, []byte(p.Prefix))
	}
	if end, ok := store.PrefixEnd(p.Prefix); ok {
		query, args = query+` AND key < ?`, append(args, end)
	}
	return query + ` ORDER BY key LIMIT ?`, append(args, p.Limit)
}

// ObjectVersionList lists versions by key, newest first.
func (db *DB) ObjectVersionList(ctx context.Context, p *store.ObjectVersionListParams) ([]*store.ObjectRow, error) {
	var out []*store.ObjectRow
	err := db.read(ctx, func(c *sql.Conn) error {
		var err error
		after := []byte(p.AfterKey)
		if p.AfterSeq == 0 {
			out, err = queryObjects(ctx, c, `SELECT `+objectCols+` FROM s3_objects
				WHERE bucket = ? AND key >= ? AND key > ? ORDER BY key, seq DESC LIMIT ?`,
				p.Bucket, []byte(p.Prefix), after, p.Limit)
			return err
		}
		out, err = queryObjects(ctx, c, `SELECT `+objectCols+` FROM s3_objects
			WHERE bucket = ? AND key >= ? AND (key > ? OR (key = ? AND seq < ?)) ORDER BY key, seq DESC LIMIT ?`,
			p.Bucket, []byte(p.Prefix), after, after, p.AfterSeq, p.Limit)
		return err
	})
	return out, err
}

// ObjectTagsSet replaces a version's tags.
func (db *DB) ObjectTagsSet(ctx context.Context, p *store.ObjectTagsSetParams) (*store.ObjectRow, error) {
	var o *store.ObjectRow
	err := db.write(ctx, func(tx *sql.Tx) error {
		var err error
		if p.VersionID == "" {
			o, err = scanObject(tx.QueryRowContext(ctx, `SELECT `+objectCols+` FROM s3_objects WHERE bucket = ? AND key = ? AND is_latest = 1`, p.Bucket, []byte(p.Key)))
		} else {
			o, err = scanObject(tx.QueryRowContext(ctx, `SELECT `+objectCols+` FROM s3_objects WHERE bucket = ? AND key = ? AND version_id = ?`, p.Bucket, []byte(p.Key), p.VersionID))
		}
		if err != nil {
			return fmt.Errorf("object %s: %w", p.Key, notFound(err))
		}
		if o.DeleteMarker {
			return fmt.Errorf("object %s is a delete marker: %w", p.Key, store.ErrNotFound)
		}
		o.Tags = p.Tags
		_, err = tx.ExecContext(ctx, `UPDATE s3_objects SET tags = ? WHERE seq = ?`, p.Tags, o.Seq)
		return err
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}

// UploadCreate inserts a multipart upload.
func (db *DB) UploadCreate(ctx context.Context, u *store.UploadRow) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO s3_uploads (upload_id, bucket, key, initiated, attrs) VALUES (?, ?, ?, ?, ?)`,
			u.UploadID, u.Bucket, []byte(u.Key), store.Millis(u.Initiated), u.Attrs)
		if isUnique(err) {
			return fmt.Errorf("upload %s: %w", u.UploadID, store.ErrAlreadyExists)
		}
		return err
	})
}

const uploadCols = `upload_id, bucket, key, initiated, attrs`

func scanUpload(row interface{ Scan(...any) error }) (*store.UploadRow, error) {
	u := &store.UploadRow{}
	var key []byte
	var initiated int64
	if err := row.Scan(&u.UploadID, &u.Bucket, &key, &initiated, &u.Attrs); err != nil {
		return nil, err
	}
	u.Key, u.Initiated = string(key), store.FromMillis(initiated)
	return u, nil
}

// UploadGet returns an upload.
func (db *DB) UploadGet(ctx context.Context, bucket, uploadID string) (*store.UploadRow, error) {
	var u *store.UploadRow
	err := db.read(ctx, func(c *sql.Conn) error {
		var err error
		u, err = scanUpload(c.QueryRowContext(ctx, `SELECT `+uploadCols+` FROM s3_uploads WHERE upload_id = ? AND bucket = ?`, uploadID, bucket))
		return notFound(err)
	})
	if err != nil {
		return nil, fmt.Errorf("upload %s: %w", uploadID, err)
	}
	return u, nil
}

// UploadList lists a bucket's uploads.
func (db *DB) UploadList(ctx context.Context, p *store.UploadListParams) ([]*store.UploadRow, error) {
	var out []*store.UploadRow
	err := db.read(ctx, func(c *sql.Conn) error {
		after := []byte(p.AfterKey)
		rows, err := c.QueryContext(ctx, `SELECT `+uploadCols+` FROM s3_uploads
			WHERE bucket = ? AND key >= ? AND (key > ? OR (key = ? AND upload_id > ?)) ORDER BY key, upload_id LIMIT ?`,
			p.Bucket, []byte(p.Prefix), after, after, p.AfterID, p.Limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			u, err := scanUpload(rows)
			if err != nil {
				return err
			}
			out = append(out, u)
		}
		return rows.Err()
	})
	return out, err
}

func deleteUpload(ctx context.Context, tx *sql.Tx, bucket, uploadID string, keep map[int]bool) ([]string, error) {
	res, err := tx.ExecContext(ctx, `DELETE FROM s3_uploads WHERE upload_id = ? AND bucket = ?`, uploadID, bucket)
	if err != nil {
		return nil, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, fmt.Errorf("upload %s: %w", uploadID, store.ErrNotFound)
	}
	rows, err := tx.QueryContext(ctx, `DELETE FROM s3_parts WHERE upload_id = ? RETURNING part_number, blob`, uploadID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var freed []string
	for rows.Next() {
		var n int
		var b string
		if err := rows.Scan(&n, &b); err != nil {
			return nil, err
		}
		if !keep[n] {
			freed = append(freed, b)
		}
	}
	return freed, rows.Err()
}

// UploadDelete removes an upload and its parts.
func (db *DB) UploadDelete(ctx context.Context, bucket, uploadID string) ([]string, error) {
	var freed []string
	err := db.write(ctx, func(tx *sql.Tx) error {
		var err error
		freed, err = deleteUpload(ctx, tx, bucket, uploadID, nil)
		return err
	})
	return freed, err
}

// PartPut stores a part.
func (db *DB) PartPut(ctx context.Context, p *store.PartRow) ([]string, error) {
	var freed []string
	err := db.write(ctx, func(tx *sql.Tx) error {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM s3_uploads WHERE upload_id = ? AND bucket = ?`, p.UploadID, p.Bucket).Scan(&one); err != nil {
			return fmt.Errorf("upload %s: %w", p.UploadID, notFound(err))
		}
		var old string
		err := tx.QueryRowContext(ctx, `SELECT blob FROM s3_parts WHERE upload_id = ? AND part_number = ?`, p.UploadID, p.PartNumber).Scan(&old)
		if err == nil {
			freed = []string{old}
		} else if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO s3_parts (upload_id, part_number, blob, size, etag, checksum, created) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (upload_id, part_number) DO UPDATE SET blob = excluded.blob, size = excluded.size, etag = excluded.etag,
				checksum = excluded.checksum, created = excluded.created`,
			p.UploadID, p.PartNumber, p.Blob, p.Size, p.ETag, p.Checksum, store.Millis(p.Created))
		return err
	})
	return freed, err
}

// PartList lists an upload's parts.
func (db *DB) PartList(ctx context.Context, p *store.PartListParams) ([]*store.PartRow, error) {
	var out []*store.PartRow
	err := db.read(ctx, func(c *sql.Conn) error {
		rows, err := c.QueryContext(ctx, `SELECT part_number, blob, size, etag, checksum, created FROM s3_parts
			WHERE upload_id = ? AND part_number > ? ORDER BY part_number LIMIT ?`, p.UploadID, p.After, p.Limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r := &store.PartRow{Bucket: p.Bucket, UploadID: p.UploadID}
			var created int64
			if err := rows.Scan(&r.PartNumber, &r.Blob, &r.Size, &r.ETag, &r.Checksum, &created); err != nil {
				return err
			}
			r.Created = store.FromMillis(created)
			out = append(out, r)
		}
		return rows.Err()
	})
	return out, err
}

// UploadComplete turns an upload into an object.
func (db *DB) UploadComplete(ctx context.Context, p *store.UploadCompleteParams) (*store.ObjectPutResult, error) {
	var res *store.ObjectPutResult
	keep := make(map[int]bool, len(p.Keep))
	for _, n := range p.Keep {
		keep[n] = true
	}
	err := db.write(ctx, func(tx *sql.Tx) error {
		freed, err := deleteUpload(ctx, tx, p.Object.Row.Bucket, p.UploadID, keep)
		if err != nil {
			return err
		}
		res, err = db.putObject(ctx, tx, &p.Object)
		if err != nil {
			return err
		}
		res.Freed = append(res.Freed, freed...)
		return nil
	})
	return res, err
}

// BlobRefs calls fn with every referenced blob id.
func (db *DB) BlobRefs(ctx context.Context, fn func(id string) error) error {
	return db.read(ctx, func(c *sql.Conn) error {
		for _, q := range []string{`SELECT blobs FROM s3_objects WHERE blobs <> ''`, `SELECT blob FROM s3_parts`} {
			if err := eachString(ctx, c, q, func(s string) error {
				for _, id := range strings.Fields(s) {
					if err := fn(id); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				return err
			}
		}
		return nil
	})
}

func eachString(ctx context.Context, c *sql.Conn, query string, fn func(string) error) error {
	rows, err := c.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return err
		}
		if err := fn(s); err != nil {
			return err
		}
	}
	return rows.Err()
}
