package jsonpath

import (
	"slices"
)

type stepKind uint8

const (
	stepField    stepKind = iota // .name or ['name']
	stepIndex                    // [n], n may be negative
	stepWildcard                 // .* or [*]
	stepNames                    // ['a','b']
	stepIndexes                  // [0,2]
	stepSlice                    // [start:end:step]
	stepFilter                   // [?(...)]
)

// step is one selector of a path. deep marks a ".." scan: the selector applies to the node and
// to every node below it.
type step struct {
	kind    stepKind
	deep    bool
	name    string
	index   int
	names   []string
	indexes []int
	slice   sliceSpec
	filter  expr
}

type sliceSpec struct {
	start, end, step int
	hasStart, hasEnd bool
}

// miss tells why a definite path selected nothing.
type miss uint8

const (
	found      miss = iota
	missing         // a member is absent or a node has the wrong type
	outOfRange      // an array index is outside the array
)

// getDefinite walks a path made only of field and index steps (and, at its end, a name union)
// without allocating.
func getDefinite(doc any, steps []step) (any, bool) {
	v, m := walkDefinite(doc, steps)
	return v, m == found
}

func walkDefinite(doc any, steps []step) (any, miss) {
	cur := doc
	for i := range steps {
		s := &steps[i]
		switch s.kind {
		case stepField:
			m, ok := cur.(map[string]any)
			if !ok {
				return nil, missing
			}
			if cur, ok = m[s.name]; !ok {
				return nil, missing
			}
		case stepIndex:
			a, ok := cur.([]any)
			if !ok {
				return nil, missing
			}
			idx, ok := resolveIndex(s.index, len(a))
			if !ok {
				return nil, outOfRange
			}
			cur = a[idx]
		case stepNames:
			// A name union at the end of a definite path merges the named members into one
			// object, as Jayway does.
			m, ok := cur.(map[string]any)
			if !ok {
				return nil, missing
			}
			out := make(map[string]any, len(s.names))
			for _, n := range s.names {
				if v, ok := m[n]; ok {
					out[n] = v
				}
			}
			cur = out
		default:
			return nil, missing
		}
	}
	return cur, found
}

func resolveIndex(i, n int) (int, bool) {
	if i < 0 {
		i += n
	}
	if i < 0 || i >= n {
		return 0, false
	}
	return i, true
}

// selectAll evaluates an indefinite path and returns every match in document order (object
// members in key order, as decoded documents keep no member order).
func selectAll(root, doc any, steps []step) []any {
	cur := []any{doc}
	for i := range steps {
		s := &steps[i]
		leaf := i == len(steps)-1
		next := make([]any, 0, len(cur))
		for _, node := range cur {
			if s.deep {
				walk(node, func(n any) { next = applyStep(root, n, s, leaf, next) })
			} else {
				next = applyStep(root, node, s, leaf, next)
			}
		}
		cur = next
	}
	return cur
}

// walk calls fn on node and every node below it, parents before children.
func walk(node any, fn func(any)) {
	fn(node)
	switch v := node.(type) {
	case map[string]any:
		for _, k := range sortedKeys(v) {
			walk(v[k], fn)
		}
	case []any:
		for _, e := range v {
			walk(e, fn)
		}
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// applyStep appends what one step selects from node. A name union that ends the path merges the
// named members of each node into one object, as Jayway does; elsewhere it yields each member.
func applyStep(root, node any, s *step, leaf bool, out []any) []any {
	switch s.kind {
	case stepField:
		if m, ok := node.(map[string]any); ok {
			if v, ok := m[s.name]; ok {
				out = append(out, v)
			}
		}
	case stepIndex:
		if a, ok := node.([]any); ok {
			if idx, ok := resolveIndex(s.index, len(a)); ok {
				out = append(out, a[idx])
			}
		}
	case stepWildcard:
		switch v := node.(type) {
		case map[string]any:
			for _, k := range sortedKeys(v) {
				out = append(out, v[k])
			}
		case []any:
			out = append(out, v...)
		}
	case stepNames:
		if m, ok := node.(map[string]any); ok {
			if leaf {
				merged := make(map[string]any, len(s.names))
				for _, n := range s.names {
					if v, ok := m[n]; ok {
						merged[n] = v
					}
				}
				return append(out, merged)
			}
			for _, n := range s.names {
				if v, ok := m[n]; ok {
					out = append(out, v)
				}
			}
		}
	case stepIndexes:
		if a, ok := node.([]any); ok {
			for _, i := range s.indexes {
				if idx, ok := resolveIndex(i, len(a)); ok {
					out = append(out, a[idx])
				}
			}
		}
	case stepSlice:
		if a, ok := node.([]any); ok {
			out = appendSlice(out, a, s.slice)
		}
	case stepFilter:
		switch v := node.(type) {
		case []any:
			for _, e := range v {
				if s.filter.test(root, e) {
					out = append(out, e)
				}
			}
		case map[string]any:
			// Jayway applies a filter on an object to the object itself.
			if s.filter.test(root, v) {
				out = append(out, v)
			}
		}
	}
	return out
}

// appendSlice appends a[start:end:step] with Python-style bounds: negative values count from the
// end and out-of-range bounds are clamped.
func appendSlice(out, a []any, sl sliceSpec) []any {
	n := len(a)
	stepBy := sl.step
	if stepBy == 0 {
		stepBy = 1
	}
	clamp := func(i, lo, hi int) int {
		if i < 0 {
			i += n
		}
		return max(lo, min(i, hi))
	}
	if stepBy > 0 {
		start, end := 0, n
		if sl.hasStart {
			start = clamp(sl.start, 0, n)
		}
		if sl.hasEnd {
			end = clamp(sl.end, 0, n)
		}
		for i := start; i < end; i += stepBy {
			out = append(out, a[i])
		}
		return out
	}
	start, end := n-1, -1
	if sl.hasStart {
		start = clamp(sl.start, -1, n-1)
	}
	if sl.hasEnd {
		end = clamp(sl.end, -1, n-1)
	}
	for i := start; i > end; i += stepBy {
		out = append(out, a[i])
	}
	return out
}
