// Package convert turns MCP tool definitions into OpenAI Responses API
// function tools and MCP tool results into function call outputs.
//
// Everything here is pure: no I/O, no goroutines, no clients. The package
// imports the MCP protocol types, openai-go's request types and the output
// type of package responses (which knows nothing of MCP).
//
// # Names
//
// A function name is built as server + Separator + tool ("__" by default),
// or just the tool name with NoPrefix, or by Options.NameFunc. Whatever the
// source, the result is made to match ^[a-zA-Z0-9_-]{1,64}$: every other
// character becomes '_', and a name longer than 64 bytes is cut and given an
// 8-hex-digit suffix hashed from the exact (server, tool) pair. When two tools
// want the same name, the one whose name needed no repair wins, then the one
// that comes first in the input (server order, then tool order); every other
// claimant gets a hash suffix derived from its own (server, tool) pair. A
// tool's name therefore never depends on map iteration order, and adding an
// unrelated tool never renames an existing one. ToolSet.Lookup maps a function
// name back to the exact server and MCP tool name.
//
// # Schemas
//
// Schema repairs an MCP input schema into one the Responses API accepts (see
// Schema for the list). Local $ref pointers are inlined. A reference that is
// part of a cycle cannot be inlined; it is kept as a "#/$defs/<name>" (or "#")
// reference and its target is placed under the top-level "$defs", which the
// API supports for recursion. If inlining would blow the schema up past a node
// budget (refs that fan out), every reference is kept that way instead.
//
// With Options.Strict, a schema that fits the Structured Outputs subset is
// rewritten to strict form (every property required, optional ones made
// nullable, additionalProperties false everywhere) and FunctionTool.Strict is
// true. A schema that does not fit stays non-strict, FunctionTool.Strict is
// false, and a Diagnostic says why. The caller must always send the strict
// flag explicitly: the API treats an omitted flag as strict. In strict form
// the model sends null for an optional argument it leaves out;
// FunctionTool.StripAddedNulls removes those nulls again before the call.
//
// # Results
//
// Result renders an MCP CallToolResult as text (and, on request, as an array
// of input_text / input_image / input_file parts), marks errors, describes
// content that cannot be passed through, and caps the size.
//
// # Files
//
// Tools and names:
//   - convert.go: Convert, the public types, per-tool preparation.
//   - converter.go: Converter, which caches prepared tools between calls.
//   - names.go: function names (sanitizing, hash suffixes, collisions).
//   - namespace.go: BuildNamespaces, one namespace tool per server with
//     exact (namespace, name) lookup.
//
// Schema repair, in the order a schema goes through it:
//   - schema.go: Schema, the limits, SchemaResult and repair notes.
//   - normalize.go: the normalizer that walks a schema (budget, depth,
//     boolean subschemas, the notes it collects).
//   - keywords.go: keywordHandlers, the table from keyword to handler, and
//     object, which runs the handlers on one schema object and then settles
//     the keywords that depend on each other (draft-04 bounds, nullable,
//     items/properties defaults, required).
//   - keywords_subschema.go: handlers for keywords holding subschemas
//     (properties, patternProperties, items, anyOf/oneOf/allOf, not, ...).
//   - keywords_value.go: handlers for value keywords (type, required, enum,
//     description, numbers, pattern, ...). A keyword with no handler is kept.
//   - ref.go: $ref resolution, inlining and hoisting into $defs.
//   - merge.go: merging schemas (allOf, single alternatives).
//   - root.go: making the top level an object the API accepts.
//   - strict.go: rewriting to strict form.
//   - optional.go: which properties strict mode made nullable, and
//     FunctionTool.StripAddedNulls.
//   - number.go: number, schema numbers kept as their literal.
//   - pattern.go: regular expressions the API cannot read are removed.
//   - output.go: output schemas, and structuredContent sent as JSON.
//
// Results and text:
//   - result.go: Result and its parts.
//   - text.go: cleaning, cutting and capping text (tool descriptions,
//     schema text, results), through internal/textsafe.
//   - resources.go: resources and prompts rendered for the model.
//   - sampling.go: MCP sampling requests as Responses requests and back.
package convert
