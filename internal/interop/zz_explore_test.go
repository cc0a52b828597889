package interop_test

import (
	"testing"

	"github.com/mcpbridge/mcpbridge/bridge"
	"github.com/mcpbridge/mcpbridge/internal/interop"
)

func TestZZExplore(t *testing.T) {
	b, err := bridge.New(t.Context(), []bridge.Server{{Config: interop.EverythingStdio(t)}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for _, d := range b.Diagnostics() {
		t.Logf("diag %s", d.String())
	}
	for _, ft := range b.FunctionTools() {
		t.Logf("tool %s strict=%v %v", ft.Name, ft.Strict, ft.Parameters)
	}
	for _, c := range [][2]string{
		{"everything__get-resource-links", `{"count":2}`},
		{"everything__get-resource-reference", `{}`},
		{"everything__get-resource-reference", `{"resourceType":"Blob","resourceId":2}`},
		{"everything__get-structured-content", `{"location":"Chicago"}`},
		{"everything__get-sum", `{"a":"x"}`},
		{"everything__simulate-research-query", `{"topic":"go"}`},
		{"everything__get-tiny-image", `{}`},
		{"everything__gzip-file-as-resource", `{"name":"x.gz","data":"data:text/plain;base64,aGVsbG8="}`},
	} {
		out, err := b.Call(t.Context(), c[0], c[1])
		t.Logf("%s -> err=%v isErr=%v text=%.400q parts=%d", c[0], err, out.IsError, out.Text, len(out.Parts))
	}
}
