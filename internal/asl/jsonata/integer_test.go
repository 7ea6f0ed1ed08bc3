package jsonata

import (
	"errors"
	"testing"
)

// TestFormatInteger uses the examples of the JSONata documentation.
func TestFormatInteger(t *testing.T) {
	t.Parallel()
	tests := []struct {
		expr, want string
	}{
		{"$formatInteger(2789, 'w')", `"two thousand, seven hundred and eighty-nine"`},
		{"$formatInteger(1999, 'I')", `"MCMXCIX"`},
		{"$formatInteger(12, 'w;o')", `"twelfth"`},
		{"$formatInteger(21, 'Ww;o')", `"Twenty-First"`},
		{"$formatInteger(100, 'W;o')", `"ONE HUNDREDTH"`},
		{"$formatInteger(1234567, '#,##0')", `"1,234,567"`},
		{"$formatInteger(7, '000')", `"007"`},
		{"$formatInteger(-7, '000')", `"-007"`},
		{"$formatInteger(123456, '#,##,000')", `"1,23,456"`},
		{"$formatInteger(22, '0;o')", `"22nd"`},
		{"$formatInteger(13, '0;o')", `"13th"`},
		{"$formatInteger(28, 'a')", `"ab"`},
		{"$formatInteger(3, 'A')", `"C"`},
		{"$formatInteger(0, 'w')", `"zero"`},
		{"$formatInteger(1000000, 'w')", `"one million"`},
		{"$parseInteger('twelve thousand, four hundred and seventy-six', 'w')", `12476`},
		{"$parseInteger('twelfth', 'w;o')", `12`},
		{"$parseInteger('MCMXCIX', 'I')", `1999`},
		{"$parseInteger('12,345,678', '#,##0')", `12345678`},
		{"$parseInteger('21st', '0;o')", `21`},
		{"$parseInteger('ab', 'a')", `28`},
		{"$parseInteger('-12', '0')", `-12`},
	}
	for _, tc := range tests {
		e, err := Compile(tc.expr)
		if err != nil {
			t.Errorf("Compile(%q): %v", tc.expr, err)
			continue
		}
		got, err := e.Eval(nil, nil)
		if err != nil {
			t.Errorf("Eval(%q): %v", tc.expr, err)
			continue
		}
		if g := toJSON(t, got); g != tc.want {
			t.Errorf("Eval(%q) = %s, want %s", tc.expr, g, tc.want)
		}
	}
	for _, expr := range []string{"$formatInteger(1, 'x')", "$formatInteger('1', '0')", "$parseInteger('abc', '0')", "$parseInteger('MMX2', 'I')", "$parseInteger('one zillion', 'w')"} {
		e, err := Compile(expr)
		if err != nil {
			t.Fatal(err)
		}
		var je *Error
		if _, err := e.Eval(nil, nil); !errors.As(err, &je) {
			t.Errorf("Eval(%q) error = %v, want *Error", expr, err)
		}
	}
	e, _ := Compile("$formatInteger($states.input.missing, '0')")
	if _, err := e.Eval(map[string]any{"input": map[string]any{}}, nil); err == nil {
		t.Error("formatting an undefined number must give undefined")
	}
}
