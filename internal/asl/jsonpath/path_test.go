package jsonpath

import (
	"encoding/json"
	"errors"
	"testing"
)

func mustJSON(t testing.TB, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("bad test JSON %q: %v", s, err)
	}
	return v
}

func toJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return string(b)
}

const store = `{
  "store": {
    "book": [
      {"category": "reference", "author": "Nigel Rees", "title": "Sayings of the Century", "price": 8.95},
      {"category": "fiction", "author": "Evelyn Waugh", "title": "Sword of Honour", "price": 12.99},
      {"category": "fiction", "author": "Herman Melville", "title": "Moby Dick", "isbn": "0-553-21311-3", "price": 8.99},
      {"category": "fiction", "author": "J. R. R. Tolkien", "title": "The Lord of the Rings", "isbn": "0-395-19395-8", "price": 22.99}
    ],
    "bicycle": {"color": "red", "price": 19.95}
  },
  "expensive": 10,
  "my key": {"a.b": 1},
  "quote'd": true,
  "nums": [1, 2, 3, 4, 5, 6]
}`

func TestGet(t *testing.T) {
	t.Parallel()
	doc := mustJSON(t, store)
	tests := []struct {
		path string
		want string
	}{
		{"$", ""},
		{"$.expensive", `10`},
		{"$.store.bicycle.color", `"red"`},
		{"$['store']['bicycle']['color']", `"red"`},
		{`$["store"]["bicycle"].price`, `19.95`},
		{"$['my key']['a.b']", `1`},
		{`$['quote\'d']`, `true`},
		{"$.store.book[0].author", `"Nigel Rees"`},
		{"$.store.book[-1].title", `"The Lord of the Rings"`},
		{"$.store.book[*].author", `["Nigel Rees","Evelyn Waugh","Herman Melville","J. R. R. Tolkien"]`},
		{"$.store.book.*.price", `[8.95,12.99,8.99,22.99]`},
		{"$.store.*", `[{"color":"red","price":19.95},[{"author":"Nigel Rees","category":"reference","price":8.95,"title":"Sayings of the Century"},{"author":"Evelyn Waugh","category":"fiction","price":12.99,"title":"Sword of Honour"},{"author":"Herman Melville","category":"fiction","isbn":"0-553-21311-3","price":8.99,"title":"Moby Dick"},{"author":"J. R. R. Tolkien","category":"fiction","isbn":"0-395-19395-8","price":22.99,"title":"The Lord of the Rings"}]]`},
		{"$..author", `["Nigel Rees","Evelyn Waugh","Herman Melville","J. R. R. Tolkien"]`},
		{"$.store..price", `[19.95,8.95,12.99,8.99,22.99]`},
		{"$..book[2].title", `["Moby Dick"]`},
		{"$..book[?(@.isbn)].title", `["Moby Dick","The Lord of the Rings"]`},
		{"$.store.book[?(@.price < 10)].title", `["Sayings of the Century","Moby Dick"]`},
		{"$.store.book[?(@.price > $.expensive)].title", `["Sword of Honour","The Lord of the Rings"]`},
		{"$.store.book[?(@.category == 'fiction' && @.price >= 12.99)].title", `["Sword of Honour","The Lord of the Rings"]`},
		{"$.store.book[?(@.category == 'reference' || @.price > 20)].title", `["Sayings of the Century","The Lord of the Rings"]`},
		{"$.store.book[?(!(@.category == 'fiction'))].title", `["Sayings of the Century"]`},
		{"$.store.book[?(@.category != 'fiction')].title", `["Sayings of the Century"]`},
		{"$.store.book[?(@.author =~ /.*melville/i)].title", `["Moby Dick"]`},
		{"$.store.book[?(@.category in ['reference', 'poetry'])].price", `[8.95]`},
		{"$.store.book[?(@.category nin ['fiction'])].price", `[8.95]`},
		{"$.store.book[?(@.title size 9)].title", `["Moby Dick"]`},
		{"$.store.book[?(@.isbn empty false)].title", `["Moby Dick","The Lord of the Rings"]`},
		{"$.store.book[0,2].price", `[8.95,8.99]`},
		{"$.store.book[0]['author','title']", `{"author":"Nigel Rees","title":"Sayings of the Century"}`},
		{"$.store.book[*]['author','price']", `[{"author":"Nigel Rees","price":8.95},{"author":"Evelyn Waugh","price":12.99},{"author":"Herman Melville","price":8.99},{"author":"J. R. R. Tolkien","price":22.99}]`},
		{"$['store','expensive'].bicycle.color", `["red"]`},
		{"$.nums[1:3]", `[2,3]`},
		{"$.nums[:2]", `[1,2]`},
		{"$.nums[-2:]", `[5,6]`},
		{"$.nums[4:100]", `[5,6]`},
		{"$.nums[::2]", `[1,3,5]`},
		{"$.nums[::-2]", `[6,4,2]`},
		{"$.nums[?(@ > 4)]", `[5,6]`},
		{"$.nums.length()", `6`},
		{"$.nums.sum()", `21`},
		{"$.nums.min()", `1`},
		{"$.nums.max()", `6`},
		{"$.nums.avg()", `3.5`},
		{"$.nums.first()", `1`},
		{"$.nums.last()", `6`},
		{"$.store.bicycle.keys()", `["color","price"]`},
		{"$.store.bicycle.color.length()", `3`},
		{"$..price.length()", `5`},
		{"$.store.book[?(@.price < 10)].length()", `2`},
		{"$.missing[*]", `[]`},
		{"$.store.bicycle[?(@.color == 'red')].price", `[19.95]`},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			t.Parallel()
			p, err := Compile(tc.path)
			if err != nil {
				t.Fatalf("Compile(%q): %v", tc.path, err)
			}
			got, err := p.Get(doc)
			if err != nil {
				t.Fatalf("Get(%q): %v", tc.path, err)
			}
			want := tc.want
			if want == "" {
				want = toJSON(t, doc)
			}
			if g := toJSON(t, got); g != want {
				t.Fatalf("Get(%q) = %s, want %s", tc.path, g, want)
			}
		})
	}
}

func TestGetNoMatch(t *testing.T) {
	t.Parallel()
	doc := mustJSON(t, store)
	for _, path := range []string{
		"$.nope", "$.store.nope", "$.store.book[10]", "$.store.book[-5]", "$.expensive.x",
		"$.store.bicycle[0]", "$.store.book.title", "$.store.nope.length()",
	} {
		p := MustCompile(path)
		if _, err := p.Get(doc); !errors.Is(err, ErrNoMatch) {
			t.Errorf("Get(%q) error = %v, want ErrNoMatch", path, err)
		}
	}
	for path, outOfRange := range map[string]bool{"$.store.book[10]": true, "$.store.book[-5].title": true, "$.nope[0]": false} {
		if _, err := MustCompile(path).Get(doc); errors.Is(err, ErrIndexOutOfRange) != outOfRange {
			t.Errorf("Get(%q) error = %v, want ErrIndexOutOfRange %v", path, err, outOfRange)
		}
	}
}

func TestFunctionErrors(t *testing.T) {
	t.Parallel()
	doc := mustJSON(t, store)
	for _, path := range []string{"$.expensive.length()", "$.store.bicycle.sum()", "$.store.bicycle.color.keys()"} {
		if _, err := MustCompile(path).Get(doc); !errors.Is(err, ErrFunction) {
			t.Errorf("Get(%q) error = %v, want ErrFunction", path, err)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path string
		pos  int
	}{
		{"", 0},
		{"a.b", 0},
		{"$.", 2},
		{"$..", 3},
		{"$.a.", 4},
		{"$[", 2},
		{"$['a'", 5},
		{"$['a", 2},
		{"$[abc]", 2},
		{"$.a b", 3},
		{"$.a[?(@.b ==)]", 12},
		{"$.a[?(@.b == 1]", 14},
		{"$.a.nosuch()", 10},
		{"$.a.length(1)", 11},
		{"$[1:2:0]", 7},
		{"$.a)", 3},
		{"$.a[?(@.b =~ 'x')]", 16},
		{"$x y", 2},
	}
	for _, tc := range tests {
		_, err := Compile(tc.path)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Compile(%q) error = %v, want *SyntaxError", tc.path, err)
			continue
		}
		if se.Pos != tc.pos {
			t.Errorf("Compile(%q) position = %d, want %d (%v)", tc.path, se.Pos, tc.pos, err)
		}
	}
}

func TestClassification(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path                string
		reference, definite bool
	}{
		{"$", true, true},
		{"$.a.b[0]['c d']", true, true},
		{"$.a[-1]", true, true},
		{"$.a[*]", false, false},
		{"$..a", false, false},
		{"$.a[0,1]", false, false},
		{"$.a[1:2]", false, false},
		{"$.a[?(@.b)]", false, false},
		{"$.a.length()", false, true},
		{"$['a','b']", false, true},
		{"$['a','b'].c", false, false},
		{"$$.Execution.Id", true, true},
		{"$var.x", true, true},
	}
	for _, tc := range tests {
		p := MustCompile(tc.path)
		if p.IsReference() != tc.reference || p.IsDefinite() != tc.definite {
			t.Errorf("%q: reference=%v definite=%v, want %v %v", tc.path, p.IsReference(), p.IsDefinite(), tc.reference, tc.definite)
		}
		if p.String() != tc.path {
			t.Errorf("String() = %q, want %q", p.String(), tc.path)
		}
	}
}

func TestGetFrom(t *testing.T) {
	t.Parallel()
	input := mustJSON(t, `{"a": 1}`)
	ctx := mustJSON(t, `{"Execution": {"Id": "arn:exec"}, "Map": {"Item": {"Index": 2}}}`)
	vars := func(name string) (any, bool) {
		if name == "customer_1" {
			return mustJSON(t, `{"name": "María", "tags": ["x", "y"]}`), true
		}
		return nil, false
	}
	tests := []struct {
		path, want, variable string
		context              bool
	}{
		{"$.a", `1`, "", false},
		{"$$.Execution.Id", `"arn:exec"`, "", true},
		{"$$.Map.Item.Index", `2`, "", true},
		{"$$", toJSON(t, ctx), "", true},
		{"$customer_1", `{"name":"María","tags":["x","y"]}`, "customer_1", false},
		{"$customer_1.name", `"María"`, "customer_1", false},
		{"$customer_1.tags[1]", `"y"`, "customer_1", false},
	}
	for _, tc := range tests {
		p := MustCompile(tc.path)
		if p.Variable() != tc.variable || p.Context() != tc.context {
			t.Errorf("%q: Variable()=%q Context()=%v", tc.path, p.Variable(), p.Context())
		}
		got, err := p.GetFrom(input, ctx, vars)
		if err != nil {
			t.Errorf("GetFrom(%q): %v", tc.path, err)
			continue
		}
		if g := toJSON(t, got); g != tc.want {
			t.Errorf("GetFrom(%q) = %s, want %s", tc.path, g, tc.want)
		}
	}
	if _, err := MustCompile("$other.x").GetFrom(input, ctx, vars); !errors.Is(err, ErrUnknownVariable) {
		t.Errorf("unknown variable: error = %v, want ErrUnknownVariable", err)
	}
	if !IsContextPath("$$.Execution") || IsContextPath("$.Execution") || IsContextPath("$") {
		t.Error("IsContextPath misclassifies")
	}
}

func TestCanonical(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"$":                     "$",
		"$.a":                   "$['a']",
		"$.store.book[0].title": "$['store']['book'][0]['title']",
		`$['it\'s']["x y"]`:     `$['it\'s']['x y']`,
		"$..author":             "$..['author']",
		"$.a[*].b":              "$['a'][*]['b']",
		"$.a.*":                 "$['a'][*]",
		"$.a[0,2]":              "$['a'][0,2]",
		"$.a[1:3]":              "$['a'][1:3]",
		"$.a[::2]":              "$['a'][::2]",
		"$.a[?(@.b > 1)].c":     "$['a'][?]['c']",
		"$['a','b']":            "$['a','b']",
		"$$.Execution.Id":       "$$['Execution']['Id']",
		"$myVar.items[-1]":      "$myVar['items'][-1]",
		"$.items.length()":      "$['items'].length()",
	}
	for src, want := range tests {
		if got := MustCompile(src).Canonical(); got != want {
			t.Errorf("Canonical(%q) = %q, want %q", src, got, want)
		}
	}
}
