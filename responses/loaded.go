package responses

import (
	"encoding/json"
	"errors"
	"fmt"

	oai "github.com/openai/openai-go/v3/responses"
)

// What client tool searches loaded. A function a tool source sends only
// once a client tool search loads it (Route.Deferred) may be called from
// the moment a search of the run loaded it. The Loop keeps the loaded
// names, so every driver (Run, Stream, a workflow) refuses the same calls
// from the same state, and a ResumePoint carries it to the run's next
// part.

// ErrNotLoaded: the model called a deferred function (Route.Deferred) that
// no client tool search of the run has loaded. The model reads this text.
var ErrNotLoaded = errors.New("function not loaded: find it with the tool_search tool first, then call it")

// loadedSet is what the client tool searches of one run loaded, by
// function key (functionKey), in the order they loaded it.
type loadedSet struct {
	keys []string
	has  map[string]bool
	// open: a resumed chained run whose earlier searches are unknown (the
	// API holds its conversation); nothing is refused.
	open bool
}

// functionKey names a function the way the model calls it: its name, or
// namespace/name for a function inside a namespace tool.
func functionKey(namespace, name string) string {
	if namespace == "" {
		return name
	}
	return namespace + "/" + name
}

func (l *loadedSet) add(key string) {
	if l.has[key] {
		return
	}
	if l.has == nil {
		l.has = make(map[string]bool)
	}
	l.has[key] = true
	l.keys = append(l.keys, key)
}

// allows reports whether c may run as far as tool search is concerned.
func (l *loadedSet) allows(c Call) bool {
	return !c.Route.Deferred || l.open || l.has[functionKey(c.Namespace, c.Name)]
}

// addTools adds the functions of tools a search loaded: function tools by
// name, the functions of a namespace tool as namespace/name. Tools are
// read as JSON, so tools built in Go and tools decoded from history count
// alike.
func (l *loadedSet) addTools(tools []oai.ToolUnionParam) {
	for _, t := range tools {
		raw, err := json.Marshal(t)
		if err == nil {
			l.addToolJSON(raw)
		}
	}
}

func (l *loadedSet) addToolJSON(raw []byte) {
	var t struct {
		Type  string `json:"type"`
		Name  string `json:"name"`
		Tools []struct {
			Name string `json:"name"`
		} `json:"tools"`
	}
	if json.Unmarshal(raw, &t) != nil {
		return
	}
	switch t.Type {
	case "function":
		l.add(t.Name)
	case "namespace":
		for _, f := range t.Tools {
			l.add(functionKey(t.Name, f.Name))
		}
	}
}

// addItems adds the tools of the tool_search_output items of a
// conversation (the history of a store: false run).
func (l *loadedSet) addItems(items []oai.ResponseInputItemUnionParam) {
	for _, item := range items {
		raw, err := json.Marshal(item)
		if err != nil {
			continue
		}
		var out struct {
			Type  string            `json:"type"`
			Tools []json.RawMessage `json:"tools"`
		}
		if json.Unmarshal(raw, &out) != nil || out.Type != "tool_search_output" {
			continue
		}
		for _, t := range out.Tools {
			l.addToolJSON(t)
		}
	}
}

// resumed is the set a ResumePoint carries: nil while it is open.
func (l *loadedSet) resumed() []string {
	if l.open {
		return nil
	}
	return append([]string{}, l.keys...)
}

// notLoaded is the record of a call to a deferred function no search of
// the run loaded: the model reads that it must search first.
func (l *Loop) notLoaded(c Call) CallRecord {
	err := fmt.Errorf("%w %q", ErrNotLoaded, functionKey(c.Namespace, c.Name))
	return CallRecord{Call: c, Err: err, Output: l.deliverable(errorOutput(err))}
}
