package jsonata

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"

	"github.com/xiatechs/jsonata-go/jtypes"
)

// $formatInteger and $parseInteger are JSONata 2.0 functions that the library lacks. They
// follow the XPath picture strings JSONata uses: decimal digit patterns with optional "#" and
// grouping separators, "a"/"A" letters, "i"/"I" roman numerals, "w"/"W"/"Ww" words, and the ";o"
// modifier for ordinals.

var errPicture = errors.New("unsupported picture")

type picture struct {
	kind    byte // 'd' decimal, 'a' letters, 'i' roman, 'w' words
	upper   bool
	title   bool
	ordinal bool
	digits  string // decimal: the primary format token
}

func parsePicture(p string) (picture, error) {
	primary, modifier, _ := strings.Cut(p, ";")
	pic := picture{ordinal: strings.HasPrefix(modifier, "o")}
	switch primary {
	case "a", "A":
		pic.kind, pic.upper = 'a', primary == "A"
	case "i", "I":
		pic.kind, pic.upper = 'i', primary == "I"
	case "w", "W", "Ww":
		pic.kind, pic.upper, pic.title = 'w', primary == "W", primary == "Ww"
	default:
		hasDigit := false
		for _, r := range primary {
			switch {
			case r >= '0' && r <= '9':
				hasDigit = true
			case r == '#':
			case unicode.IsLetter(r) || unicode.IsDigit(r):
				return picture{}, fmt.Errorf("%q: %w", p, errPicture)
			}
		}
		if !hasDigit {
			return picture{}, fmt.Errorf("%q needs at least one digit: %w", p, errPicture)
		}
		pic.kind, pic.digits = 'd', primary
	}
	return pic, nil
}

func formatInteger(_ func() float64, args []any) (any, error) {
	if err := arity(args, 2, 2); err != nil {
		return nil, err
	}
	if args[0] == nil {
		return nil, jtypes.ErrUndefined
	}
	f, ok := args[0].(float64)
	if !ok {
		return nil, fmt.Errorf("the first argument must be a number: %w", errArgs)
	}
	p, ok := args[1].(string)
	if !ok {
		return nil, fmt.Errorf("the picture must be a string: %w", errArgs)
	}
	pic, err := parsePicture(p)
	if err != nil {
		return nil, err
	}
	n := int64(math.Trunc(f))
	neg := n < 0
	if neg {
		n = -n
	}
	var s string
	switch pic.kind {
	case 'a':
		s = letters(n)
	case 'i':
		s = roman(n)
	case 'w':
		s = words(n, pic.ordinal)
		if neg {
			s = "minus " + s
		}
		neg = false
	default:
		s = decimal(n, pic.digits)
		if pic.ordinal {
			s += ordinalSuffix(n)
		}
	}
	switch {
	case pic.kind == 'w' && pic.title:
	case pic.upper:
		s = strings.ToUpper(s)
	default:
		s = strings.ToLower(s)
	}
	if neg {
		s = "-" + s
	}
	return s, nil
}

type separator struct {
	pos int // digits to its right
	sep rune
}

// decimal renders n with the digit pattern: as many digits as the pattern has mandatory digits
// at least, and its grouping separators, repeated when they are regular.
func decimal(n int64, pattern string) string {
	runes := []rune(pattern)
	mandatory, count := 0, 0
	var seps []separator
	for i := len(runes) - 1; i >= 0; i-- {
		r := runes[i]
		switch {
		case r >= '0' && r <= '9':
			mandatory++
			count++
		case r == '#':
			count++
		default:
			seps = append(seps, separator{pos: count, sep: r})
		}
	}
	digits := strconv.FormatInt(n, 10)
	if len(digits) < mandatory {
		digits = strings.Repeat("0", mandatory-len(digits)) + digits
	}
	regular := len(seps) > 0 && seps[0].pos > 0
	for i, s := range seps {
		if s.sep != seps[0].sep || s.pos != (i+1)*seps[0].pos {
			regular = false
		}
	}
	var b strings.Builder
	for i, d := range digits {
		right := len(digits) - i
		if i > 0 {
			if regular && right%seps[0].pos == 0 {
				b.WriteRune(seps[0].sep)
			} else if !regular {
				for _, s := range seps {
					if s.pos == right {
						b.WriteRune(s.sep)
					}
				}
			}
		}
		b.WriteRune(d)
	}
	return b.String()
}

func ordinalSuffix(n int64) string {
	switch {
	case n%100 >= 11 && n%100 <= 13:
		return "th"
	case n%10 == 1:
		return "st"
	case n%10 == 2:
		return "nd"
	case n%10 == 3:
		return "rd"
	}
	return "th"
}

func letters(n int64) string {
	if n <= 0 {
		return ""
	}
	var out []byte
	for n > 0 {
		n--
		out = append([]byte{byte('a' + n%26)}, out...)
		n /= 26
	}
	return string(out)
}

type romanNumeral struct {
	value  int64
	symbol string
}

func romanNumerals() [13]romanNumeral {
	return [...]romanNumeral{
		{1000, "m"}, {900, "cm"}, {500, "d"}, {400, "cd"}, {100, "c"}, {90, "xc"},
		{50, "l"}, {40, "xl"}, {10, "x"}, {9, "ix"}, {5, "v"}, {4, "iv"}, {1, "i"},
	}
}

func roman(n int64) string {
	var b strings.Builder
	for _, r := range romanNumerals() {
		for n >= r.value {
			b.WriteString(r.symbol)
			n -= r.value
		}
	}
	return b.String()
}

// numberWords holds the vocabulary of $formatInteger's word pictures.
type numberWords struct {
	small, smallOrdinal [20]string
	decades             [8]string
	magnitudes          [4]string
}

func vocabulary() *numberWords {
	return &numberWords{
		small:        [...]string{"Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten", "Eleven", "Twelve", "Thirteen", "Fourteen", "Fifteen", "Sixteen", "Seventeen", "Eighteen", "Nineteen"},
		smallOrdinal: [...]string{"Zeroth", "First", "Second", "Third", "Fourth", "Fifth", "Sixth", "Seventh", "Eighth", "Ninth", "Tenth", "Eleventh", "Twelfth", "Thirteenth", "Fourteenth", "Fifteenth", "Sixteenth", "Seventeenth", "Eighteenth", "Nineteenth"},
		decades:      [...]string{"Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety"},
		magnitudes:   [...]string{"Thousand", "Million", "Billion", "Trillion"},
	}
}

// words spells n the way JSONata does: "One Hundred and Twenty-Three", with commas between
// magnitudes.
func words(n int64, ordinal bool) string {
	v := vocabulary()
	var lookup func(n int64, prev, ord bool) string
	lookup = func(n int64, prev, ord bool) string {
		and := ""
		if prev {
			and = " and "
		}
		switch {
		case n <= 19:
			if ord {
				return and + v.smallOrdinal[n]
			}
			return and + v.small[n]
		case n < 100:
			w := and + v.decades[n/10-2]
			if n%10 > 0 {
				return w + "-" + lookup(n%10, false, ord)
			}
			if ord {
				return w[:len(w)-1] + "ieth"
			}
			return w
		case n < 1000:
			w := v.small[n/100] + " Hundred"
			if prev {
				w = ", " + w
			}
			if n%100 > 0 {
				return w + lookup(n%100, true, ord)
			}
			if ord {
				return w + "th"
			}
			return w
		}
		mag := min(int(math.Log10(float64(n))/3), len(v.magnitudes))
		factor := int64(math.Pow(10, float64(mag*3)))
		mant, rest := n/factor, n%factor
		w := lookup(mant, false, false) + " " + v.magnitudes[mag-1]
		if prev {
			w = ", " + w
		}
		if rest > 0 {
			return w + lookup(rest, true, ord)
		}
		if ord {
			return w + "th"
		}
		return w
	}
	return lookup(n, false, ordinal)
}

func parseInteger(_ func() float64, args []any) (any, error) {
	if err := arity(args, 2, 2); err != nil {
		return nil, err
	}
	if args[0] == nil {
		return nil, jtypes.ErrUndefined
	}
	s, ok := args[0].(string)
	if !ok {
		return nil, fmt.Errorf("the first argument must be a string: %w", errArgs)
	}
	p, ok := args[1].(string)
	if !ok {
		return nil, fmt.Errorf("the picture must be a string: %w", errArgs)
	}
	pic, err := parsePicture(p)
	if err != nil {
		return nil, err
	}
	var n int64
	switch pic.kind {
	case 'a':
		n, err = parseLetters(s)
	case 'i':
		n, err = parseRoman(s)
	case 'w':
		n, err = parseWords(s)
	default:
		n, err = parseDecimal(s, pic)
	}
	if err != nil {
		return nil, err
	}
	return float64(n), nil
}

var errNotInteger = errors.New("the string does not match the picture")

func parseDecimal(s string, pic picture) (int64, error) {
	if pic.ordinal {
		for _, suffix := range []string{"st", "nd", "rd", "th"} {
			s = strings.TrimSuffix(s, suffix)
		}
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case strings.ContainsRune(pic.digits, r) && r != '#':
		default:
			return 0, fmt.Errorf("%q: %w", s, errNotInteger)
		}
	}
	n, err := strconv.ParseInt(b.String(), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q: %w", s, errNotInteger)
	}
	if neg {
		n = -n
	}
	return n, nil
}

func parseLetters(s string) (int64, error) {
	var n int64
	for _, r := range strings.ToLower(s) {
		if r < 'a' || r > 'z' {
			return 0, fmt.Errorf("%q: %w", s, errNotInteger)
		}
		n = n*26 + int64(r-'a'+1)
	}
	return n, nil
}

func parseRoman(s string) (int64, error) {
	rest := strings.ToLower(s)
	var n int64
	for _, r := range romanNumerals() {
		for strings.HasPrefix(rest, r.symbol) {
			n += r.value
			rest = rest[len(r.symbol):]
		}
	}
	if rest != "" || s == "" {
		return 0, fmt.Errorf("%q: %w", s, errNotInteger)
	}
	return n, nil
}

func parseWords(s string) (int64, error) {
	v := vocabulary()
	values := make(map[string]int64, 64)
	for i, w := range v.small {
		values[strings.ToLower(w)] = int64(i)
		values[strings.ToLower(v.smallOrdinal[i])] = int64(i)
	}
	for i, w := range v.decades {
		lw := strings.ToLower(w)
		values[lw] = int64(i+2) * 10
		values[lw[:len(lw)-1]+"ieth"] = int64(i+2) * 10
	}
	fields := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return r == ' ' || r == ',' || r == '-' })
	var total, current int64
	neg := false
	for i, f := range fields {
		f = strings.TrimSuffix(f, "th")
		switch {
		case f == "and":
		case f == "minus" && i == 0:
			neg = true
		case f == "hundred":
			current *= 100
		default:
			if v, ok := values[f]; ok {
				current += v
				continue
			}
			if v, ok := values[f+"th"]; ok {
				current += v
				continue
			}
			mag := -1
			for j, m := range v.magnitudes {
				if strings.ToLower(m) == f {
					mag = j + 1
				}
			}
			if mag < 0 {
				return 0, fmt.Errorf("%q: %w", s, errNotInteger)
			}
			total += current * int64(math.Pow(10, float64(mag*3)))
			current = 0
		}
	}
	if len(fields) == 0 {
		return 0, fmt.Errorf("%q: %w", s, errNotInteger)
	}
	n := total + current
	if neg {
		n = -n
	}
	return n, nil
}
