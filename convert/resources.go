package convert

import (
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcpbridge/mcpbridge/responses"
)

// ResourceOutput renders the contents of a read resource for the model the
// way Result renders embedded resources: text inline below its URI, blobs
// described (size and media type) and, with ArrayOutputs, images and PDFs
// passed as input_image and input_file parts.
func ResourceOutput(contents []mcp.ResourceContents, opts ResultOptions) responses.Output {
	res := &mcp.CallToolResult{Content: make([]mcp.Content, 0, len(contents))}
	for _, c := range contents {
		res.Content = append(res.Content, mcp.EmbeddedResource{Type: mcp.ContentTypeResource, Resource: c})
	}
	if len(contents) == 0 {
		res.Content = append(res.Content, mcp.NewTextContent("(the resource is empty)"))
	}
	return Result(res, opts)
}

// PromptOutput renders a prompt for the model: its description, then each
// message headed by its role ("[user]", "[assistant]"), with its content
// rendered as Result renders tool content (text inline, images as parts
// with ArrayOutputs, embedded resources inline).
func PromptOutput(p *mcp.GetPromptResult, opts ResultOptions) responses.Output {
	if p == nil {
		return Result(nil, opts)
	}
	res := &mcp.CallToolResult{Content: make([]mcp.Content, 0, 2*len(p.Messages)+1)}
	if p.Description != "" {
		res.Content = append(res.Content, mcp.NewTextContent("[description] "+p.Description))
	}
	for _, m := range p.Messages {
		res.Content = append(res.Content, mcp.NewTextContent("["+string(m.Role)+"]"))
		if m.Content != nil {
			res.Content = append(res.Content, m.Content)
		}
	}
	return Result(res, opts)
}

// ResourceList renders a server's resources and resource templates as a
// list the model can pick a URI from, one per line: URI, name, media type
// and description (cut to 200 bytes).
func ResourceList(resources []mcp.Resource, templates []mcp.ResourceTemplate) string {
	var b strings.Builder
	if len(resources) == 0 && len(templates) == 0 {
		return "(no resources)"
	}
	for _, r := range resources {
		fmt.Fprintf(&b, "- <%s> %s", label(r.URI, 2048), label(r.Name, 200))
		if r.MIMEType != "" {
			fmt.Fprintf(&b, " (%s)", label(r.MIMEType, 100))
		}
		if r.Description != "" {
			b.WriteString(": " + label(r.Description, 200))
		}
		b.WriteByte('\n')
	}
	if len(templates) > 0 {
		b.WriteString("Templates (fill in the {placeholders} to get a URI):\n")
	}
	for _, t := range templates {
		uri := ""
		if t.URITemplate != nil {
			uri = t.URITemplate.Raw()
		}
		fmt.Fprintf(&b, "- <%s> %s", label(uri, 2048), label(t.Name, 200))
		if t.Description != "" {
			b.WriteString(": " + label(t.Description, 200))
		}
		b.WriteByte('\n')
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// PromptList renders a server's prompts, one per line: name, description
// and arguments (required ones marked).
func PromptList(prompts []mcp.Prompt) string {
	if len(prompts) == 0 {
		return "(no prompts)"
	}
	var b strings.Builder
	for _, p := range prompts {
		fmt.Fprintf(&b, "- %s", label(p.Name, 200))
		if p.Description != "" {
			b.WriteString(": " + label(p.Description, 200))
		}
		if len(p.Arguments) > 0 {
			args := make([]string, len(p.Arguments))
			for i, a := range p.Arguments {
				args[i] = label(a.Name, 100)
				if a.Required {
					args[i] += " (required)"
				}
			}
			b.WriteString(" [arguments: " + strings.Join(args, ", ") + "]")
		}
		b.WriteByte('\n')
	}
	return strings.TrimSuffix(b.String(), "\n")
}
