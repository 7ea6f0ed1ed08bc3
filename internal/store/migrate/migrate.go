// Package migrate applies the numbered SQL migrations that each store driver embeds. Files are
// named NNNN_name.sql; both drivers carry the same versions. Version ranges are assigned by
// domain so that domains evolve independently: 0001-0009 core, 0010-0019 queues, 0020-0029
// metrics and alarms, 0030-0039 states, 0040-0049 objects, 0050-0059 logs, 0060-0069 funcs,
// 0070-0079 jobs, 0080-0089 pipes, 0090-0099 topics and events.
package migrate

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Migration is one numbered SQL script.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Target is a database that records which migrations it has.
type Target interface {
	Applied(ctx context.Context) (map[int]bool, error)
	Apply(ctx context.Context, m Migration, now int64) error
}

// Load reads the migrations in dir of fsys, sorted by version.
func Load(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var out []Migration
	seen := map[int]string{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		num, name, ok := strings.Cut(strings.TrimSuffix(e.Name(), ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must be NNNN_name.sql", e.Name())
		}
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrations %s and %s share version %d", prev, e.Name(), v)
		}
		seen[v] = e.Name()
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: name, SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// Apply applies, in order, the migrations of dir that t does not have yet.
func Apply(ctx context.Context, fsys fs.FS, dir string, t Target) error {
	all, err := Load(fsys, dir)
	if err != nil {
		return err
	}
	have, err := t.Applied(ctx)
	if err != nil {
		return fmt.Errorf("read applied migrations: %w", err)
	}
	for _, m := range all {
		if have[m.Version] {
			continue
		}
		if err := t.Apply(ctx, m, time.Now().UnixMilli()); err != nil {
			return err
		}
	}
	return nil
}
