package jsonpath

import (
	"fmt"
	"maps"
	"slices"
)

// Set returns doc with value written at the reference path p, as ResultPath does: "$" replaces
// the whole document; otherwise missing intermediate members are created as objects. doc is not
// modified: the maps and slices along the path are copied. Writing through a node that is not an
// object (for a name) or an array holding the index (for an index) fails with ErrSetMismatch.
func Set(doc any, p *Path, value any) (any, error) {
	if !p.reference || p.root != rootInput {
		return nil, fmt.Errorf("set %s: %w", p.src, ErrNotReference)
	}
	out, err := setAt(doc, p.steps, value, true)
	if err != nil {
		return nil, fmt.Errorf("set %s: %w", p.src, err)
	}
	return out, nil
}

func setAt(node any, steps []step, value any, exists bool) (any, error) {
	if len(steps) == 0 {
		return value, nil
	}
	s := &steps[0]
	switch s.kind {
	case stepField:
		var m map[string]any
		switch v := node.(type) {
		case map[string]any:
			m = v
		default:
			if exists {
				return nil, fmt.Errorf("field %q of %s: %w", s.name, typeName(node), ErrSetMismatch)
			}
		}
		child, ok := m[s.name]
		nv, err := setAt(child, steps[1:], value, ok)
		if err != nil {
			return nil, err
		}
		out := make(map[string]any, len(m)+1)
		maps.Copy(out, m)
		out[s.name] = nv
		return out, nil
	case stepIndex:
		a, ok := node.([]any)
		if !ok {
			return nil, fmt.Errorf("index %d of %s: %w", s.index, typeName(node), ErrSetMismatch)
		}
		idx, ok := resolveIndex(s.index, len(a))
		if !ok {
			return nil, fmt.Errorf("index %d of an array of %d: %w", s.index, len(a), ErrSetMismatch)
		}
		nv, err := setAt(a[idx], steps[1:], value, true)
		if err != nil {
			return nil, err
		}
		out := slices.Clone(a)
		out[idx] = nv
		return out, nil
	}
	return nil, ErrNotReference
}
