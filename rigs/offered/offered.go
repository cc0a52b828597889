// Package offered lists what a bridge offers the model, function by
// function, from its public surface only (RequestTools and Routes), for the
// rigs that check tool sets against real and recorded servers.
package offered

import (
	"sort"

	"github.com/mcpbridge/mcpbridge/bridge"
)

// Function is one function a bridge offers, as sent and as routed.
type Function struct {
	Key         string // how the model calls it: "name" or "namespace/name"
	Name        string
	Namespace   string
	Server      string // where a call goes
	Tool        string
	Description string
	Strict      bool
	Deferred    bool // sent with defer_loading
	Parameters  map[string]any
}

// Functions lists the functions of b's current request tools, in request
// order. Deferred functions a client tool search would load are not in the
// request and so not listed; with hosted search they are, Deferred set.
func Functions(b *bridge.Bridge) []Function {
	routes := b.Routes()
	var out []Function
	add := func(ns, name, desc string, strict, deferred bool, params map[string]any) {
		key := name
		if ns != "" {
			key = ns + "/" + name
		}
		r := routes[key]
		out = append(out, Function{Key: key, Name: name, Namespace: ns, Server: r.Server, Tool: r.Tool,
			Description: desc, Strict: strict, Deferred: deferred, Parameters: params})
	}
	for _, t := range b.RequestTools() {
		switch {
		case t.OfFunction != nil:
			f := t.OfFunction
			add("", f.Name, f.Description.Value, f.Strict.Value, f.DeferLoading.Value, f.Parameters)
		case t.OfNamespace != nil:
			for _, u := range t.OfNamespace.Tools {
				if f := u.OfFunction; f != nil {
					params, _ := f.Parameters.(map[string]any)
					add(t.OfNamespace.Name, f.Name, f.Description.Value, f.Strict.Value, f.DeferLoading.Value, params)
				}
			}
		}
	}
	return out
}

// All lists every function b routes, with the ones a client tool search
// keeps out of the request (those have only Key, Server and Tool), sorted
// by key.
func All(b *bridge.Bridge) []Function {
	sent := map[string]Function{}
	for _, f := range Functions(b) {
		sent[f.Key] = f
	}
	var out []Function
	for key, r := range b.Routes() {
		f, ok := sent[key]
		if !ok {
			f = Function{Key: key, Name: key, Server: r.Server, Tool: r.Tool}
		}
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}
