package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/ceap/ceap/internal/store"
)

// BucketCreate inserts a bucket.
func (db *DB) BucketCreate(ctx context.Context, p *store.BucketCreateParams) error {
	b := &p.Bucket
	err := db.write(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO s3_buckets (name, account, region, created, versioning, tags, lifecycle) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
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

// BucketGet returns a bucket by name.
func (db *DB) BucketGet(ctx context.Context, name string) (*store.BucketRow, error) {
	var b *store.BucketRow
	err := db.query(func(c querier) error {
		var err error
		b, err = scanBucket(c.QueryRow(ctx, `SELECT `+bucketCols+` FROM s3_buckets WHERE name = $1`, name))
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
	err := db.query(func(c querier) error {
		rows, err := c.Query(ctx, `SELECT `+bucketCols+` FROM s3_buckets WHERE $1 = '' OR account = $2 ORDER BY name`, p.Account, p.Account)
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
	return db.write(ctx, func(tx pgx.Tx) error {
		var sets []string
		var args []any
		add := func(col string, v any) {
			args = append(args, v)
			sets = append(sets, fmt.Sprintf("%s = $%d", col, len(args)))
		}
		if p.Versioning != nil {
			add("versioning", *p.Versioning)
		}
		if p.Tags != nil {
			add("tags", *p.Tags)
		}
		if p.Lifecycle != nil {
			add("lifecycle", *p.Lifecycle)
		}
		if len(sets) == 0 {
			sets = []string{"name = name"}
		}
		args = append(args, p.Name)
		res, err := tx.Exec(ctx, `UPDATE s3_buckets SET `+strings.Join(sets, ", ")+fmt.Sprintf(` WHERE name = $%d`, len(args)), args...)
		if err != nil {
			return err
		}
		if res.RowsAffected() == 0 {
			return fmt.Errorf("bucket %s: %w", p.Name, store.ErrNotFound)
		}
		return nil
	})
}

// BucketDelete removes an empty bucket.
func (db *DB) BucketDelete(ctx context.Context, p *store.BucketDeleteParams) error {
	return db.write(ctx, func(tx pgx.Tx) error {
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM s3_buckets WHERE name = $1 FOR UPDATE`, p.Name).Scan(&one); err != nil {
			return fmt.Errorf("bucket %s: %w", p.Name, notFound(err))
		}
		var busy bool
		err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM s3_objects WHERE bucket = $1) OR EXISTS (SELECT 1 FROM s3_uploads WHERE bucket = $2)`, p.Name, p.Name).Scan(&busy)
		if err != nil {
			return err
		}
		if busy {
			return fmt.Errorf("bucket %s not empty: %w", p.Name, store.ErrConflict)
		}
		res, err := tx.Exec(ctx, `DELETE FROM s3_buckets WHERE name = $1`, p.Name)
		if err != nil {
			return err
		}
		if res.RowsAffected() == 0 {
			return fmt.Errorf("bucket %s: %w", p.Name, store.ErrNotFound)
		}
		return nil
	})
}

// BucketStats counts a bucket's stored versions and bytes.
func (db *DB) BucketStats(ctx context.Context, bucket string) (*store.BucketStats, error) {
	s := &store.BucketStats{}
	err := db.query(func(c querier) error {
		return c.QueryRow(ctx, `SELECT count(*), coalesce(sum(size), 0)::bigint FROM s3_objects WHERE bucket = $1 AND NOT delete_marker`, bucket).Scan(&s.Objects, &s.Bytes)
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

func queryObjects(ctx context.Context, q querier, query string, args ...any) ([]*store.ObjectRow, error) {
	rows, err := q.Query(ctx, query, args...)
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
	if p.Flush != nil {
		if err := p.Flush(); err != nil {
			return nil, err
		}
	}
	var res *store.ObjectPutResult
	err := db.write(ctx, func(tx pgx.Tx) error {
		var err error
		res, err = db.putObject(ctx, tx, p)
		return err
	})
	return res, err
}

func (db *DB) putObject(ctx context.Context, tx pgx.Tx, p *store.ObjectPutParams) (*store.ObjectPutResult, error) {
	if !p.IfNoneMatch && p.IfMatchETag == "" {
		return putObjectPipelined(ctx, tx, p)
	}
	o := &p.Row
	key := []byte(o.Key)
	var one int
	if err := tx.QueryRow(ctx, `SELECT 1 FROM s3_buckets WHERE name = $1 FOR SHARE`, o.Bucket).Scan(&one); err != nil {
		return nil, fmt.Errorf("bucket %s: %w", o.Bucket, notFound(err))
	}
	if err := lockKey(ctx, tx, o.Bucket, o.Key); err != nil {
		return nil, err
	}
	var marker bool
	var etag string
	err := tx.QueryRow(ctx, `SELECT delete_marker, etag FROM s3_objects WHERE bucket = $1 AND key = $2 AND is_latest`, o.Bucket, key).Scan(&marker, &etag)
	exists := err == nil && !marker
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
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
	res := &store.ObjectPutResult{}
	if o.VersionID == "null" {
		var blobs string
		err := tx.QueryRow(ctx, `DELETE FROM s3_objects WHERE bucket = $1 AND key = $2 AND version_id = 'null' RETURNING blobs`, o.Bucket, key).Scan(&blobs)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return nil, err
		}
		res.Freed = strings.Fields(blobs)
	}
	if _, err := tx.Exec(ctx, `UPDATE s3_objects SET is_latest = false, noncurrent_since = $1 WHERE bucket = $2 AND key = $3 AND is_latest`,
		store.Millis(o.Created), o.Bucket, key); err != nil {
		return nil, err
	}
	err = tx.QueryRow(ctx, insertObject, o.Bucket, key, o.VersionID, o.DeleteMarker, o.Size, o.ETag, store.Millis(o.Created), strings.Join(o.Blobs, " "), o.Attrs, o.Tags).Scan(&res.Seq)
	if err != nil {
		return nil, insertError(o, err)
	}
	return res, nil
}

// insertObject inserts a latest version, and nothing when its bucket is gone.
const insertObject = `INSERT INTO s3_objects (bucket, key, version_id, is_latest, delete_marker, size, etag, created, noncurrent_since, blobs, attrs, tags)
	SELECT $1, $2, $3, true, $4, $5, $6, $7, 0, $8, $9, $10 WHERE EXISTS (SELECT 1 FROM s3_buckets WHERE name = $1) RETURNING seq`

func insertError(o *store.ObjectRow, err error) error {
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("bucket %s: %w", o.Bucket, store.ErrNotFound)
	case isUnique(err):
		return fmt.Errorf("object %s version %s: %w", o.Key, o.VersionID, store.ErrAlreadyExists)
	}
	return err
}

// putObjectPipelined writes a version without preconditions in one round trip: the bucket row
// locked against deletion, the key's lock, the replaced null version, the demotion of the latest
// and the insert go out as one batch. Without the bucket, the insert adds nothing and the
// transaction rolls back.
func putObjectPipelined(ctx context.Context, tx pgx.Tx, p *store.ObjectPutParams) (*store.ObjectPutResult, error) {
	o := &p.Row
	key := []byte(o.Key)
	b := &pgx.Batch{}
	b.Queue(`SELECT 1 FROM s3_buckets WHERE name = $1 FOR SHARE`, o.Bucket)
	b.Queue(`SELECT pg_advisory_xact_lock(hashtextextended($1 || '/' || encode($2::bytea, 'hex'), 0))`, o.Bucket, key)
	null := o.VersionID == "null"
	if null {
		b.Queue(`DELETE FROM s3_objects WHERE bucket = $1 AND key = $2 AND version_id = 'null' RETURNING blobs`, o.Bucket, key)
	}
	b.Queue(`UPDATE s3_objects SET is_latest = false, noncurrent_since = $1 WHERE bucket = $2 AND key = $3 AND is_latest`,
		store.Millis(o.Created), o.Bucket, key)
	b.Queue(insertObject, o.Bucket, key, o.VersionID, o.DeleteMarker, o.Size, o.ETag, store.Millis(o.Created), strings.Join(o.Blobs, " "), o.Attrs, o.Tags)
	br := tx.SendBatch(ctx, b)
	res := &store.ObjectPutResult{}
	err := func() error {
		for range 2 { // the bucket's and the key's locks
			if _, err := br.Exec(); err != nil {
				return err
			}
		}
		if null {
			var blobs string
			if err := br.QueryRow().Scan(&blobs); err != nil && !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
			res.Freed = strings.Fields(blobs)
		}
		if _, err := br.Exec(); err != nil {
			return err
		}
		if err := br.QueryRow().Scan(&res.Seq); err != nil {
			return insertError(o, err)
		}
		return nil
	}()
	if cerr := br.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	return res, nil
}

// ObjectGet returns one version.
func (db *DB) ObjectGet(ctx context.Context, p *store.ObjectGetParams) (*store.ObjectRow, error) {
	var o *store.ObjectRow
	err := db.query(func(c querier) error {
		var err error
		if p.VersionID == "" {
			o, err = scanObject(c.QueryRow(ctx, `SELECT `+objectCols+` FROM s3_objects WHERE bucket = $1 AND key = $2 AND is_latest`, p.Bucket, []byte(p.Key)))
		} else {
			o, err = scanObject(c.QueryRow(ctx, `SELECT `+objectCols+` FROM s3_objects WHERE bucket = $1 AND key = $2 AND version_id = $3`, p.Bucket, []byte(p.Key), p.VersionID))
		}
		return notFound(err)
	})
	if err != nil {
		return nil, fmt.Errorf("object %s: %w", p.Key, err)
	}
	return o, nil
}

// ObjectDelete removes one version.
func (db *DB) ObjectDelete(ctx context.Context, p *store.ObjectDeleteParams) (*store.ObjectRow, error) {
	var o *store.ObjectRow
	err := db.write(ctx, func(tx pgx.Tx) error {
		var err error
		o, err = deleteObject(ctx, tx, p)
		return err
	})
	return o, err
}

func deleteObject(ctx context.Context, tx pgx.Tx, p *store.ObjectDeleteParams) (*store.ObjectRow, error) {
	key := []byte(p.Key)
	if err := lockKey(ctx, tx, p.Bucket, p.Key); err != nil {
		return nil, err
	}
	o, err := scanObject(tx.QueryRow(ctx, `SELECT `+objectCols+` FROM s3_objects WHERE bucket = $1 AND key = $2 AND version_id = $3`, p.Bucket, key, p.VersionID))
	if err != nil {
		return nil, fmt.Errorf("object %s version %s: %w", p.Key, p.VersionID, notFound(err))
	}
	if p.IfSeq != 0 && o.Seq != p.IfSeq {
		return nil, fmt.Errorf("object %s version %s changed: %w", p.Key, p.VersionID, store.ErrConflict)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM s3_objects WHERE seq = $1`, o.Seq); err != nil {
		return nil, err
	}
	if o.IsLatest {
		if _, err := tx.Exec(ctx, `UPDATE s3_objects SET is_latest = true, noncurrent_since = 0
			WHERE seq = (SELECT max(seq) FROM s3_objects WHERE bucket = $1 AND key = $2)`, p.Bucket, key); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// listCols are the columns a listing reads.
const listCols = `key, version_id, size, etag, created, attrs`

// ObjectList lists current versions by key. The index range starts at the larger of After and
// Prefix and ends where keys stop starting with Prefix, so a page reads only its own rows.
func (db *DB) ObjectList(ctx context.Context, p *store.ObjectListParams) ([]*store.ObjectRow, error) {
	query := `SELECT ` + listCols + ` FROM s3_objects WHERE bucket = $1 AND is_latest AND NOT delete_marker`
	args := []any{p.Bucket}
	if p.After >= p.Prefix {
		query, args = query+` AND key > $2`, append(args, []byte(p.After))
	} else {
		query, args = query+` AND key >= $2`, append(args, []byte(p.Prefix))
	}
	if end, ok := store.PrefixEnd(p.Prefix); ok {
		query, args = query+` AND key < $3`, append(args, end)
	}
	args = append(args, p.Limit)
	query += fmt.Sprintf(` ORDER BY key LIMIT $%d`, len(args))
	var out []*store.ObjectRow
	err := db.query(func(c querier) error {
		rows, err := c.Query(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		out = make([]*store.ObjectRow, 0, min(p.Limit, 1000))
		for rows.Next() {
			o := &store.ObjectRow{Bucket: p.Bucket, IsLatest: true}
			var key []byte
			var created int64
			if err := rows.Scan(&key, &o.VersionID, &o.Size, &o.ETag, &created, &o.Attrs); err != nil {
				return err
			}
			o.Key, o.Created = string(key), store.FromMillis(created)
			out = append(out, o)
		}
		return rows.Err()
	})
	return out, err
}

// ObjectVersionList lists versions by key, newest first.
func (db *DB) ObjectVersionList(ctx context.Context, p *store.ObjectVersionListParams) ([]*store.ObjectRow, error) {
	var out []*store.ObjectRow
	err := db.query(func(c querier) error {
		var err error
		after := []byte(p.AfterKey)
		if p.AfterSeq == 0 {
			out, err = queryObjects(ctx, c, `SELECT `+objectCols+` FROM s3_objects
				WHERE bucket = $1 AND key >= $2 AND key > $3 ORDER BY key, seq DESC LIMIT $4`,
				p.Bucket, []byte(p.Prefix), after, p.Limit)
			return err
		}
		out, err = queryObjects(ctx, c, `SELECT `+objectCols+` FROM s3_objects
			WHERE bucket = $1 AND key >= $2 AND (key > $3 OR (key = $4 AND seq < $5)) ORDER BY key, seq DESC LIMIT $6`,
			p.Bucket, []byte(p.Prefix), after, after, p.AfterSeq, p.Limit)
		return err
	})
	return out, err
}

// ObjectTagsSet replaces a version's tags.
func (db *DB) ObjectTagsSet(ctx context.Context, p *store.ObjectTagsSetParams) (*store.ObjectRow, error) {
	var o *store.ObjectRow
	err := db.write(ctx, func(tx pgx.Tx) error {
		var err error
		if p.VersionID == "" {
			o, err = scanObject(tx.QueryRow(ctx, `SELECT `+objectCols+` FROM s3_objects WHERE bucket = $1 AND key = $2 AND is_latest`, p.Bucket, []byte(p.Key)))
		} else {
			o, err = scanObject(tx.QueryRow(ctx, `SELECT `+objectCols+` FROM s3_objects WHERE bucket = $1 AND key = $2 AND version_id = $3`, p.Bucket, []byte(p.Key), p.VersionID))
		}
		if err != nil {
			return fmt.Errorf("object %s: %w", p.Key, notFound(err))
		}
		if o.DeleteMarker {
			return fmt.Errorf("object %s is a delete marker: %w", p.Key, store.ErrNotFound)
		}
		o.Tags = p.Tags
		_, err = tx.Exec(ctx, `UPDATE s3_objects SET tags = $1 WHERE seq = $2`, p.Tags, o.Seq)
		return err
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}

// UploadCreate inserts a multipart upload.
func (db *DB) UploadCreate(ctx context.Context, u *store.UploadRow) error {
	return db.write(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO s3_uploads (upload_id, bucket, key, initiated, attrs) VALUES ($1, $2, $3, $4, $5)`,
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
	err := db.query(func(c querier) error {
		var err error
		u, err = scanUpload(c.QueryRow(ctx, `SELECT `+uploadCols+` FROM s3_uploads WHERE upload_id = $1 AND bucket = $2`, uploadID, bucket))
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
	err := db.query(func(c querier) error {
		after := []byte(p.AfterKey)
		rows, err := c.Query(ctx, `SELECT `+uploadCols+` FROM s3_uploads
			WHERE bucket = $1 AND key >= $2 AND (key > $3 OR (key = $4 AND upload_id > $5)) ORDER BY key, upload_id LIMIT $6`,
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

func deleteUpload(ctx context.Context, tx pgx.Tx, bucket, uploadID string, keep map[int]bool) ([]string, error) {
	res, err := tx.Exec(ctx, `DELETE FROM s3_uploads WHERE upload_id = $1 AND bucket = $2`, uploadID, bucket)
	if err != nil {
		return nil, err
	}
	if res.RowsAffected() == 0 {
		return nil, fmt.Errorf("upload %s: %w", uploadID, store.ErrNotFound)
	}
	rows, err := tx.Query(ctx, `DELETE FROM s3_parts WHERE upload_id = $1 RETURNING part_number, blob`, uploadID)
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
	err := db.write(ctx, func(tx pgx.Tx) error {
		var err error
		freed, err = deleteUpload(ctx, tx, bucket, uploadID, nil)
		return err
	})
	return freed, err
}

// PartPut stores a part.
func (db *DB) PartPut(ctx context.Context, p *store.PartRow) ([]string, error) {
	var freed []string
	err := db.write(ctx, func(tx pgx.Tx) error {
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM s3_uploads WHERE upload_id = $1 AND bucket = $2 FOR SHARE`, p.UploadID, p.Bucket).Scan(&one); err != nil {
			return fmt.Errorf("upload %s: %w", p.UploadID, notFound(err))
		}
		var old string
		err := tx.QueryRow(ctx, `SELECT blob FROM s3_parts WHERE upload_id = $1 AND part_number = $2`, p.UploadID, p.PartNumber).Scan(&old)
		if err == nil {
			freed = []string{old}
		} else if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO s3_parts (upload_id, part_number, blob, size, etag, checksum, created) VALUES ($1, $2, $3, $4, $5, $6, $7)
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
	err := db.query(func(c querier) error {
		rows, err := c.Query(ctx, `SELECT part_number, blob, size, etag, checksum, created FROM s3_parts
			WHERE upload_id = $1 AND part_number > $2 ORDER BY part_number LIMIT $3`, p.UploadID, p.After, p.Limit)
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
	err := db.write(ctx, func(tx pgx.Tx) error {
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
	return db.query(func(c querier) error {
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

func eachString(ctx context.Context, c querier, query string, fn func(string) error) error {
	rows, err := c.Query(ctx, query)
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

// querier is what reads need of a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// query runs fn on the pool.
func (db *DB) query(fn func(c querier) error) error { return fn(db.pool) }

// lockKey serialises the transactions that change the versions of one key (two nodes putting the
// same key must not both leave a latest version); it is held until the transaction ends.
func lockKey(ctx context.Context, tx pgx.Tx, bucket, key string) error {
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1 || '/' || encode($2::bytea, 'hex'), 0))`, bucket, []byte(key))
	return err
}
