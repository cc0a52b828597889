package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// yamlBudget is how large a YAML file of n bytes may become once its
// aliases are expanded, counted as yamlCost counts: four times the file
// and 1 MiB more. A file without aliases costs about its size; shared
// blocks referred to a few times (LiteLLM configs do that) stay far below.
func yamlBudget(n int) int { return 4*n + 1<<20 }

// decodeYAML reads a YAML document into the tree JSON decodes to (see
// value.go) without letting aliases expand it: yaml.v3's own decoding
// copies an anchored node for every alias (a 1 MiB file asked for 5 GiB),
// and compares every key of a mapping with every other. Here the file is
// parsed into yaml.Nodes (which keep aliases as references), and each
// anchored node is converted once and shared by its aliases, while the
// budget is charged what the expanded document would cost, so whatever
// reads the tree afterwards does bounded work too. Duplicate keys are
// returned as paths.
func decodeYAML(data []byte, budget int) (map[string]any, [][]string, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, nil, err
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, nil, nil // an empty file
	}
	c := &yamlConverter{limit: budget, budget: budget, done: map[*yaml.Node]converted{}, active: map[*yaml.Node]bool{}}
	v, _, err := c.value(doc.Content[0])
	if err != nil {
		return nil, nil, err
	}
	top, ok := v.(map[string]any)
	if !ok {
		return nil, nil, fmt.Errorf("want an object at the top, got %s", kindOf(v))
	}
	return top, c.dups, nil
}

// converted is an anchored node already converted, and what it costs
// each time it is used.
type converted struct {
	value any
	cost  int
}

type yamlConverter struct {
	limit  int                      // what the document may cost
	budget int                      // what it may still cost
	done   map[*yaml.Node]converted // anchored nodes, by node
	active map[*yaml.Node]bool      // anchored nodes being converted, to refuse an alias inside its own anchor
	path   keyPath                  // where the node being converted is
	dups   [][]string
}

// charge takes n from the budget.
func (c *yamlConverter) charge(n int) error {
	if c.budget -= n; c.budget < 0 {
		return fmt.Errorf("YAML aliases expand the document past %d bytes (4 times the file plus 1 MiB); a config file does not need that", c.limit)
	}
	return nil
}

// value converts n and returns its cost: one for the node and the length
// of a scalar's text, plus what its children cost.
func (c *yamlConverter) value(n *yaml.Node) (any, int, error) {
	if n.Kind == yaml.AliasNode {
		return c.alias(n)
	}
	if n.Anchor != "" {
		if done, ok := c.done[n]; ok { // an anchored node reached again
			return done.value, done.cost, c.charge(done.cost)
		}
		c.active[n] = true
		defer delete(c.active, n)
	}
	start := c.budget
	var v any
	var err error
	switch n.Kind {
	case yaml.ScalarNode:
		v, err = scalar(n)
		if err == nil {
			err = c.charge(len(n.Value) + 1)
		}
	case yaml.SequenceNode:
		v, err = c.sequence(n)
	case yaml.MappingNode:
		v, err = c.mapping(n)
	default:
		err = fmt.Errorf("line %d: unexpected YAML node", n.Line)
	}
	if err != nil {
		return nil, 0, err
	}
	cost := start - c.budget
	if n.Anchor != "" {
		c.done[n] = converted{v, cost}
	}
	return v, cost, nil
}

func (c *yamlConverter) alias(n *yaml.Node) (any, int, error) {
	target := n.Alias
	if target == nil {
		return nil, 0, fmt.Errorf("line %d: alias *%s refers to no anchor", n.Line, n.Value)
	}
	if c.active[target] {
		return nil, 0, fmt.Errorf("line %d: alias *%s refers to the node that contains it", n.Line, n.Value)
	}
	if done, ok := c.done[target]; ok {
		return done.value, done.cost, c.charge(done.cost)
	}
	return c.value(target)
}

func (c *yamlConverter) sequence(n *yaml.Node) (any, error) {
	if err := c.charge(1); err != nil {
		return nil, err
	}
	out := make([]any, len(n.Content))
	for i, item := range n.Content {
		c.path.push("", i)
		v, _, err := c.value(item)
		c.path.pop()
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// mapping converts a mapping. A merge key (<<) adds the keys of the
// mappings it names that the mapping does not set itself, the first named
// winning, as YAML's merge type says. A key given twice is recorded.
func (c *yamlConverter) mapping(n *yaml.Node) (any, error) {
	if err := c.charge(1); err != nil {
		return nil, err
	}
	out := make(map[string]any, len(n.Content)/2)
	var merge *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Value == "<<" && k.ShortTag() == "!!merge" {
			if merge != nil {
				c.dups = append(c.dups, c.path.with("<<"))
			}
			merge = v
			continue
		}
		key, err := mappingKey(k)
		if err != nil {
			return nil, err
		}
		if err := c.charge(len(key) + 1); err != nil {
			return nil, err
		}
		if _, dup := out[key]; dup {
			c.dups = append(c.dups, c.path.with(key))
		}
		c.path.push(key, -1)
		out[key], _, err = c.value(v)
		c.path.pop()
		if err != nil {
			return nil, err
		}
	}
	if merge != nil {
		if err := c.merge(out, merge); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (c *yamlConverter) merge(out map[string]any, merge *yaml.Node) error {
	sources := []*yaml.Node{merge}
	if merge.Kind == yaml.SequenceNode {
		sources = merge.Content
	}
	for _, src := range sources {
		v, _, err := c.value(src)
		if err != nil {
			return err
		}
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("line %d: a merge key (<<) wants a mapping or a list of mappings", src.Line)
		}
		for k, v := range m {
			if _, set := out[k]; !set {
				out[k] = v
			}
		}
	}
	return nil
}

// mappingKey returns the text of a scalar key (an alias to one too).
func mappingKey(k *yaml.Node) (string, error) {
	if k.Kind == yaml.AliasNode && k.Alias != nil {
		k = k.Alias
	}
	if k.Kind != yaml.ScalarNode {
		return "", fmt.Errorf("line %d: a mapping key is not a string", k.Line)
	}
	return k.Value, nil
}

// scalar resolves a scalar as yaml.v3 decodes it into an any, and makes
// it what JSON would give.
func scalar(n *yaml.Node) (any, error) {
	switch n.ShortTag() {
	case "!!str":
		return n.Value, nil
	case "!!null":
		return nil, nil
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, err
	}
	switch v := v.(type) {
	case nil, bool, string:
		return v, nil
	case int:
		return json.Number(strconv.Itoa(v)), nil
	case int64:
		return json.Number(strconv.FormatInt(v, 10)), nil
	case uint64:
		return json.Number(strconv.FormatUint(v, 10)), nil
	case float64:
		j, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("line %d: %s cannot be read as JSON", n.Line, n.ShortTag())
		}
		return json.Number(j), nil
	}
	return nil, errors.New("line " + strconv.Itoa(n.Line) + ": a " + n.ShortTag() + " value cannot be read as JSON")
}
