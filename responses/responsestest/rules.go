package responsestest

import "regexp"

// The rules the API applies to a request beyond its OpenAPI document, in one
// place, each with where it is written down. Sources:
//
//	[SO]  OpenAI Structured Outputs guide, "Supported schemas"
//	      (https://platform.openai.com/docs/guides/structured-outputs#supported-schemas)
//	[FC]  OpenAI function calling guide and the FunctionTool / function_call
//	      schemas of the OpenAPI document (name pattern, strict)
//	[TS]  OpenAI tool search guide and the NamespaceToolParam, ToolSearchToolParam,
//	      FunctionToolParam.defer_loading and tool_search_* item schemas
//	[MCP] OpenAI remote MCP guide and the MCPTool, mcp_approval_request and
//	      mcp_approval_response schemas of the OpenAPI document
//	[API] behaviour of the API the fake reproduces (what it answers with 400)

// rule is one documented rule; the code that enforces it cites its ID.
type rule struct {
	ID     string
	Text   string
	Source string
}

// rules lists every rule ValidateRequestJSON enforces beyond the request
// schema.
var rules = []rule{
	{"params-schema", "function tool parameters compile as a JSON Schema (draft 2020-12 unless $schema says otherwise) and pass the metaschema: \"minimum\":\"0\" is rejected", "[API]"},
	{"params-top-type", "parameters has \"type\":\"object\" at the top", "[SO] root objects must be an object; [API]"},
	{"params-top-combinator", "parameters has no top-level oneOf, anyOf, allOf, enum or not", "[SO] the root must not be anyOf; [API]"},
	{"strict-explicit", "every function tool sends strict as a boolean (a missing strict means strict)", "[FC]"},
	{"name-pattern", "function names match ^[a-zA-Z0-9_-]{1,64}$", "[FC]"},
	{"name-unique", "function names are unique in one request", "[API]"},
	{"call-id", "call_id of function_call and function_call_output items is non-empty and at most 64 characters", "[API]"},
	{"strict-object", "strict: every object schema has additionalProperties:false", "[SO] additionalProperties: false must always be set in objects"},
	{"strict-required", "strict: every object schema lists all its properties in required", "[SO] all fields must be required"},
	{"strict-keywords", "strict: only the supported keywords (strictKeywords)", "[SO] supported properties; unsupported: allOf, not, dependentRequired, dependentSchemas, if, then, else, ..."},
	{"strict-format", "strict: format is one of the supported formats (strictFormats)", "[SO] supported string formats"},
	{"strict-ref", "strict: every $ref resolves inside the schema (\"#\" recursion included)", "[SO] definitions and recursive schemas are supported"},
	{"strict-properties", "strict: at most 5000 object properties in total", "[SO] objects have limitations on nesting depth and size"},
	{"strict-depth", "strict: at most 10 levels of object nesting", "[SO]"},
	{"strict-enum-values", "strict: at most 1000 enum values in total", "[SO] limitations on total enum size"},
	{"strict-string-size", "strict: property names, definition names, enum and const values total at most 120000 characters", "[SO]"},
	{"namespace-tools", "every function of a namespace tool is checked like a top-level one (strict-explicit, name-pattern, params-*, strict-*)", "[TS]; NamespaceToolParam.tools"},
	{"namespace-name-unique", "namespace names are unique in one request and differ from top-level function names; function names are unique within their namespace", "[TS] calls are routed by (namespace, name)"},
	{"tool-search-single", "a request has at most one tool_search tool", "[TS]"},
	{"defer-needs-search", "a function or mcp tool sent with defer_loading: true needs a tool_search tool in the same request", "[TS] deferred tools are discovered through tool search"},
	{"search-call-id", "client tool_search_call and tool_search_output items have a call_id of 1 to 64 characters", "ToolSearchCallItemParam / ToolSearchOutputItemParam call_id; [API]"},
	{"search-output-call", "every tool_search_output answers a tool_search_call with the same call_id: earlier in the input, or in a previous response of the chain", "[TS]; [API]"},
	{"model-required", "model is a non-empty string, unless a prompt template (prompt) supplies it", "[API] 400 missing_required_parameter; the OpenAPI document marks no property of CreateResponse required"},
	{"input-required", "input is given (a string or a list of items), unless prompt, conversation or previous_response_id supplies what the model answers", "[API] 400 missing_required_parameter; the OpenAPI document marks no property of CreateResponse required"},
	{"mcp-label-unique", "the server_label of every mcp tool of a request is unique", "[MCP]; [API] calls and approvals name their server by label"},
	{"mcp-server", "an mcp tool gives exactly one of server_url, connector_id and tunnel_id", "[MCP] MCPTool.server_url"},
	{"mcp-approval-pending", "every mcp_approval_response answers an mcp_approval_request still unanswered: earlier in the input, or in a previous response of the chain", "[MCP]; [API]"},
	{"strict-big-enum", "strict: a single enum with more than 250 string values totals at most 15000 characters", "[SO]"},
}

var functionNameRE = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

// Limits of rule call-id and the strict-* size rules.
const (
	maxCallIDLen         = 64
	strictMaxProperties  = 5000
	strictMaxDepth       = 10
	strictMaxEnumValues  = 1000
	strictMaxStringChars = 120000
	strictBigEnum        = 250
	strictBigEnumChars   = 15000
)

// topForbidden are the keywords of rule params-top-combinator.
var topForbidden = []string{"oneOf", "anyOf", "allOf", "enum", "not"}

// strictKeywords are the keywords of rule strict-keywords: the supported
// type keywords and constraints of [SO] (string: pattern, format; number:
// multipleOf, maximum, exclusiveMaximum, minimum, exclusiveMinimum; array:
// minItems, maxItems), structure, definitions, and annotations.
var strictKeywords = map[string]bool{
	"type": true, "properties": true, "required": true, "additionalProperties": true,
	"items": true, "anyOf": true, "enum": true, "const": true,
	"$ref": true, "$defs": true, "definitions": true,
	"description": true, "title": true, "$schema": true, "$id": true, "$comment": true,
	"pattern": true, "format": true,
	"multipleOf": true, "maximum": true, "exclusiveMaximum": true, "minimum": true, "exclusiveMinimum": true,
	"minItems": true, "maxItems": true,
}

// strictFormats are the string formats of rule strict-format.
var strictFormats = map[string]bool{
	"date-time": true, "time": true, "date": true, "duration": true, "email": true,
	"hostname": true, "ipv4": true, "ipv6": true, "uuid": true,
}
