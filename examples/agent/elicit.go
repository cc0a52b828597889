package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"golang.org/x/term"
)

// terminalElicitation answers a server's elicitation requests by asking
// on the terminal: form mode asks each field in turn (its type, choices
// and default shown; Enter takes the default), URL mode prints the URL
// and waits for Enter. It declines when stdin is not a terminal, and
// cancels when the person gives no answer within timeout. One question at
// a time: concurrent requests wait their turn.
func terminalElicitation(stdin *os.File, stderr io.Writer, timeout time.Duration) func(ctx context.Context, server string, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	var mu sync.Mutex
	startLines := sync.OnceValue(func() <-chan string { return stdinLines(stdin) })
	return func(ctx context.Context, server string, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
		if !term.IsTerminal(int(stdin.Fd())) {
			fmt.Fprintf(stderr, "?? %s asks: %s (declined: stdin is not a terminal)\n", clip(server, 60), clip(req.Params.Message, 200))
			return elicitResult(mcp.ElicitationResponseActionDecline, nil), nil
		}
		mu.Lock()
		defer mu.Unlock()
		lines := startLines() // only once there is a terminal to read
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		ask := func(prompt string) (string, bool) {
			fmt.Fprint(stderr, prompt)
			select {
			case line, ok := <-lines:
				return strings.TrimSpace(line), ok
			case <-ctx.Done():
				fmt.Fprintln(stderr, "\n?? no answer in time: cancelled")
				return "", false
			}
		}
		p := req.Params
		if p.Mode == mcp.ElicitationModeURL {
			fmt.Fprintf(stderr, "?? %s asks you to open:\n   %s\n   %s\n", clip(server, 60), clip(p.URL, 2000), clip(p.Message, 200))
			a, ok := ask("   press Enter when done, or n to decline: ")
			switch {
			case !ok:
				return elicitResult(mcp.ElicitationResponseActionCancel, nil), nil
			case strings.EqualFold(a, "n"):
				return elicitResult(mcp.ElicitationResponseActionDecline, nil), nil
			}
			return elicitResult(mcp.ElicitationResponseActionAccept, nil), nil
		}
		fmt.Fprintf(stderr, "?? %s asks: %s\n", clip(server, 60), clip(p.Message, 200))
		a, ok := ask("   answer? [y/N] ")
		if !ok {
			return elicitResult(mcp.ElicitationResponseActionCancel, nil), nil
		}
		if a = strings.ToLower(a); a != "y" && a != "yes" {
			return elicitResult(mcp.ElicitationResponseActionDecline, nil), nil
		}
		content := map[string]any{}
		for _, f := range formFields(p.RequestedSchema) {
			for {
				a, ok := ask("   " + f.prompt())
				if !ok {
					return elicitResult(mcp.ElicitationResponseActionCancel, nil), nil
				}
				v, err := f.value(a)
				if err != nil {
					fmt.Fprintln(stderr, "   "+err.Error())
					continue
				}
				if v != nil {
					content[f.name] = v
				}
				break
			}
		}
		return elicitResult(mcp.ElicitationResponseActionAccept, content), nil
	}
}

func elicitResult(action mcp.ElicitationResponseAction, content map[string]any) *mcp.ElicitationResult {
	r := &mcp.ElicitationResult{}
	r.Action = action
	if content != nil {
		r.Content = content
	}
	return r
}

// stdinLines reads stdin line by line on one goroutine for the life of
// the process, so a question that timed out leaves no reader behind to
// swallow the next answer.
func stdinLines(f *os.File) <-chan string {
	ch := make(chan string)
	go func() {
		defer close(ch)
		in := bufio.NewReader(f)
		for {
			line, err := in.ReadString('\n')
			if line != "" || err == nil {
				ch <- line
			}
			if err != nil {
				return
			}
		}
	}()
	return ch
}

// formField is one property of a form's requested schema (flat
// primitives only, as the MCP spec allows).
type formField struct {
	name, typ, title string
	enum             []string
	def              any
	required         bool
}

// formFields lists a requested schema's properties: required ones first
// in their listed order, then the rest by name.
func formFields(schema any) []formField {
	raw, _ := json.Marshal(schema)
	var s struct {
		Properties map[string]struct {
			Type        string   `json:"type"`
			Title       string   `json:"title"`
			Description string   `json:"description"`
			Enum        []string `json:"enum"`
			// OneOf is the titled single-select enum of 2025-11-25:
			// its consts are the choices.
			OneOf []struct {
				Const string `json:"const"`
			} `json:"oneOf"`
			Default any `json:"default"`
		} `json:"properties"`
		Required []string `json:"required"`
	}
	_ = json.Unmarshal(raw, &s)
	names := make([]string, 0, len(s.Properties))
	for n := range s.Properties {
		names = append(names, n)
	}
	slices.SortFunc(names, func(a, b string) int {
		ia, ib := slices.Index(s.Required, a), slices.Index(s.Required, b)
		switch {
		case ia >= 0 && ib >= 0:
			return ia - ib
		case ia >= 0:
			return -1
		case ib >= 0:
			return 1
		}
		return strings.Compare(a, b)
	})
	out := make([]formField, 0, len(names))
	for _, n := range names {
		p := s.Properties[n]
		title := p.Title
		if p.Description != "" {
			title = strings.TrimSpace(title + " - " + p.Description)
		}
		enum := p.Enum
		for _, o := range p.OneOf {
			if len(p.Enum) == 0 && o.Const != "" {
				enum = append(enum, o.Const)
			}
		}
		out = append(out, formField{name: n, typ: p.Type, title: title, enum: enum, def: p.Default, required: slices.Contains(s.Required, n)})
	}
	return out
}

func (f formField) prompt() string {
	var b strings.Builder
	b.WriteString(clip(f.name, 60) + " (" + clip(f.typ, 20))
	if len(f.enum) > 0 {
		b.WriteString(": " + clip(strings.Join(f.enum, "|"), 200))
	}
	if f.required {
		b.WriteString(", required")
	}
	if f.def != nil {
		d, _ := json.Marshal(f.def)
		b.WriteString(", default " + clip(string(d), 60))
	}
	b.WriteString(")")
	if f.title != "" {
		b.WriteString(" " + clip(f.title, 200))
	}
	return b.String() + ": "
}

// value turns an answer into the field's type; nil leaves the field out.
func (f formField) value(a string) (any, error) {
	if a == "" {
		if f.def != nil {
			return f.def, nil
		}
		if f.required {
			return nil, fmt.Errorf("%s is required", clip(f.name, 60))
		}
		return nil, nil
	}
	switch f.typ {
	case "integer":
		n, err := strconv.ParseInt(a, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s wants a whole number", clip(f.name, 60))
		}
		return n, nil
	case "number":
		n, err := strconv.ParseFloat(a, 64)
		if err != nil {
			return nil, fmt.Errorf("%s wants a number", clip(f.name, 60))
		}
		return n, nil
	case "boolean":
		switch strings.ToLower(a) {
		case "y", "yes", "true":
			return true, nil
		case "n", "no", "false":
			return false, nil
		}
		return nil, fmt.Errorf("%s wants y or n", clip(f.name, 60))
	}
	if len(f.enum) > 0 && !slices.Contains(f.enum, a) {
		return nil, fmt.Errorf("%s wants one of %s", clip(f.name, 60), clip(strings.Join(f.enum, ", "), 200))
	}
	return a, nil
}
