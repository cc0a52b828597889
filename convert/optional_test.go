package convert

import (
	"encoding/json"
	"testing"
)

func TestStripAddedNulls(t *testing.T) {
	schema := `{"type":"object","properties":{
		"q":{"type":"string"},
		"limit":{"type":"integer"},
		"clear":{"type":["string","null"]},
		"opts":{"type":"object","properties":{"deep":{"type":"boolean"},"must":{"type":["string","null"]}},"required":["must"]},
		"rows":{"type":"array","items":{"type":"object","properties":{"a":{"type":"string"}}}}
	},"required":["q","clear"]}`
	in := []ServerTools{{Server: "s", Tools: []Tool{{Name: "t", InputSchema: json.RawMessage(schema)}}}}
	set, err := Convert(in, Options{Strict: true})
	if err != nil || !set.Tools[0].Strict {
		t.Fatalf("strict %v err %v", set.Tools[0].Strict, err)
	}
	ft := &set.Tools[0]
	cases := map[string]string{
		`{"q":"x","limit":null,"clear":null,"opts":{"deep":null,"must":null},"rows":[{"a":null},{"a":"y"}]}`: `{"clear":null,"opts":{"must":null},"q":"x","rows":[{},{"a":"y"}]}`,
		`{"q":"x","limit":5,"clear":"c","opts":null,"rows":null}`:                                            `{"clear":"c","limit":5,"q":"x"}`,
		`{"q":"no nulls"}`: `{"q":"no nulls"}`,
		`not json null`:    `not json null`,
	}
	for args, want := range cases {
		if got := string(ft.StripAddedNulls(json.RawMessage(args))); got != want {
			t.Errorf("StripAddedNulls(%s) = %s, want %s", args, got, want)
		}
	}
	// Non-strict tools pass through.
	plain, _ := Convert(in, Options{})
	args := `{"q":"x","limit":null}`
	if got := string(plain.Tools[0].StripAddedNulls(json.RawMessage(args))); got != args {
		t.Errorf("non-strict tool changed args: %s", got)
	}
	// Cached conversions keep the information.
	c := NewConverter(Options{Strict: true})
	c.Convert(in)
	again, _ := c.Convert(in)
	if got := string(again.Tools[0].StripAddedNulls(json.RawMessage(`{"q":"x","limit":null,"clear":null}`))); got != `{"clear":null,"q":"x"}` {
		t.Errorf("cached tool: %s", got)
	}
}
