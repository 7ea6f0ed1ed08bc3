package jsonata

import (
	"errors"
	"strings"
	"testing"
)

// TestUnboundedRecursionIsRefused covers expressions that would overflow the stack, which a Go
// program cannot recover from.
func TestUnboundedRecursionIsRefused(t *testing.T) {
	t.Parallel()
	for _, expr := range []string{
		"( $f := function($x){ $f($x + 1) }; $f(1) )",
		"( $f := function($x){ $g($x) }; $g := function($x){ $f($x) }; $f(1) )",
		"( $f := function($x){ $g($x) }; $g := $f; $f(1) )",
		"( $y := function($f){ $f($f) }; $y($y) )",
		"(function($f){ $f($f) })(function($f){ $f($f) })",
		"( $f := function($x){ $x ~> $f }; $f(1) )",
		"( $f := function($x){ ( $h := function($y){ $f($y) }; $h($x) ) }; $f(1) )",
		strings.Repeat("(", maxNesting+1) + "1" + strings.Repeat(")", maxNesting+1),
		strings.Repeat("[", maxNesting+1) + strings.Repeat("]", maxNesting+1),
	} {
		if _, err := Compile(expr); !errors.Is(err, ErrUnsupported) {
			t.Errorf("Compile(%.60q) error = %v, want ErrUnsupported", expr, err)
		}
	}
}

func TestNonRecursiveFunctionsAreAccepted(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"( $sq := function($x){ $x * $x }; $map([1,2,3], function($v){ $sq($v) }) )":            `[1,4,9]`,
		"( $sq := function($x){ $x * $x }; $twice := function($x){ $sq($sq($x)) }; $twice(2) )": `16`,
		"$reduce([1,2,3], function($acc, $v){ $acc + $v })":                                     `6`,
		"$sort([3,1,2], function($a, $b){ $a > $b })":                                           `[1,2,3]`,
		"( $apply := function($f, $x){ $f($x) }; $apply($uppercase, 'a') )":                     `"A"`,
		"$map(['a)', '(b'], function($s){ $s & '((' })":                                         `["a)((","(b(("]`,
		strings.Repeat("(", maxNesting) + "1" + strings.Repeat(")", maxNesting):                 `1`,
	}
	for expr, want := range tests {
		e, err := Compile(expr)
		if err != nil {
			t.Errorf("Compile(%.60q): %v", expr, err)
			continue
		}
		got, err := e.Eval(nil, nil)
		if err != nil {
			t.Errorf("Eval(%.60q): %v", expr, err)
			continue
		}
		if g := toJSON(t, got); g != want {
			t.Errorf("Eval(%.60q) = %s, want %s", expr, g, want)
		}
	}
}
