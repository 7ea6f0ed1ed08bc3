package cloudwatch

import (
	"encoding/json"
	"testing"
)

func TestDoublesKeepTheirDecimalPoint(t *testing.T) {
	t.Parallel()
	for in, want := range map[float64]string{1: "1.0", 1.5: "1.5", -3: "-3.0", 1e21: "1e+21", 0: "0.0", 240000: "240000.0"} {
		b, err := json.Marshal(double(in))
		if err != nil || string(b) != want {
			t.Errorf("%v encodes as %s (err %v), want %s", in, b, err, want)
		}
	}
}
