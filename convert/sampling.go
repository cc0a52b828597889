package convert

import (
	"errors"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/openai/openai-go/v3/packages/param"
	oai "github.com/openai/openai-go/v3/responses"
)

// MinOutputTokens is the smallest max_output_tokens the Responses API
// accepts; a sampling request asking for fewer tokens is sent with this
// bound.
const MinOutputTokens = 16

// Stop reasons of a sampling result (MCP CreateMessageResult.stopReason).
const (
	StopEndTurn      = "endTurn"
	StopMaxTokens    = "maxTokens"
	StopStopSequence = "stopSequence"
)

// ErrSamplingContent is wrapped by SamplingRequest's error for a message
// whose content cannot be sent to the model (tool use or tool results,
// which need sampling tools, or an unknown kind).
var ErrSamplingContent = errors.New("sampling message content not supported")

// SamplingOptions shape the Responses request made for a sampling request.
type SamplingOptions struct {
	// Model is the model asked, unless a hint of the request's
	// modelPreferences matches one of Models: the first hint (in the order
	// given) that is a substring of a model name, matched
	// case-insensitively, as the MCP spec describes hints, picks that
	// model. The numeric priorities are not used: they say nothing about
	// the models.
	Model  string
	Models []string
	// MaxOutputTokens, when > 0, caps the request's maxTokens.
	MaxOutputTokens int64
	// Tools are the request's tools as [SamplingTools] converted them;
	// required when the request offers tools.
	Tools *ToolSet
}

// SamplingRequest turns an MCP sampling request into a Responses API
// request: messages become input messages (text; images as input_image
// data URLs in user messages; audio, which the API does not take as
// message input, and assistant images as a text stand-in), systemPrompt
// becomes instructions, maxTokens max_output_tokens (at least
// MinOutputTokens, at most opts.MaxOutputTokens), temperature is passed on
// when not zero, store is false and no tools are offered.
//
// The Responses API has no stop parameter: stopSequences are applied to
// the answer by SamplingResult, which cuts the text at the first one.
// includeContext is not honoured (the bridge shares no other server's
// context with a server) and metadata is not forwarded.
func SamplingRequest(req mcp.CreateMessageParams, opts SamplingOptions) (oai.ResponseNewParams, error) {
	p := oai.ResponseNewParams{
		Model: chooseModel(req.ModelPreferences, opts.Models, opts.Model),
		Store: param.NewOpt(false),
	}
	if req.SystemPrompt != "" {
		p.Instructions = param.NewOpt(req.SystemPrompt)
	}
	maxTokens := int64(req.MaxTokens)
	if opts.MaxOutputTokens > 0 && (maxTokens <= 0 || maxTokens > opts.MaxOutputTokens) {
		maxTokens = opts.MaxOutputTokens
	}
	if maxTokens > 0 {
		p.MaxOutputTokens = param.NewOpt(max(maxTokens, MinOutputTokens))
	}
	if req.Temperature != 0 {
		p.Temperature = param.NewOpt(req.Temperature)
	}
	if err := samplingToolParams(&p, req, opts.Tools); err != nil {
		return p, err
	}
	items := make(oai.ResponseInputParam, 0, len(req.Messages))
	for i, m := range req.Messages {
		msgItems, err := samplingMessage(m)
		if err != nil {
			return p, fmt.Errorf("messages[%d]: %w", i, err)
		}
		items = append(items, msgItems...)
	}
	if len(items) == 0 {
		return p, fmt.Errorf("messages: %w: no messages", ErrSamplingContent)
	}
	p.Input = oai.ResponseNewParamsInputUnion{OfInputItemList: items}
	return p, nil
}

// samplingMessage converts one message: its tool_use and tool_result
// blocks become function_call and function_call_output items, the rest
// one message item (see samplingBlocks).
func samplingMessage(m mcp.SamplingMessage) ([]oai.ResponseInputItemUnionParam, error) {
	var blocks []mcp.Content
	switch c := m.Content.(type) {
	case []mcp.Content:
		blocks = c
	case mcp.Content:
		blocks = []mcp.Content{c}
	default:
		return nil, fmt.Errorf("%w: %T", ErrSamplingContent, m.Content)
	}
	items, rest, err := toolItems(m.Role, blocks)
	if err != nil {
		return nil, err
	}
	if len(rest) == 0 && len(items) > 0 {
		return items, nil
	}
	msg, err := samplingBlocks(m.Role, rest)
	if err != nil {
		return nil, err
	}
	// The text of an assistant turn came before its tool calls.
	return append([]oai.ResponseInputItemUnionParam{msg}, items...), nil
}

// samplingBlocks converts the content blocks of one message. A user
// message keeps images as parts; an assistant message is sent as text, the
// only form the API takes back from the assistant.
func samplingBlocks(role mcp.Role, blocks []mcp.Content) (oai.ResponseInputItemUnionParam, error) {
	m := mcp.SamplingMessage{Role: role}
	user := m.Role != mcp.RoleAssistant
	var parts oai.ResponseInputMessageContentListParam
	var texts []string
	for _, b := range blocks {
		text, image, err := samplingContent(b)
		if err != nil {
			return oai.ResponseInputItemUnionParam{}, err
		}
		switch {
		case image != "" && user:
			img := oai.ResponseInputContentParamOfInputImage(oai.ResponseInputImageDetailAuto)
			img.OfInputImage.ImageURL = param.NewOpt(image)
			parts = append(parts, img)
		default:
			parts = append(parts, oai.ResponseInputContentParamOfInputText(text))
			texts = append(texts, text)
		}
	}
	if !user {
		return oai.ResponseInputItemParamOfMessage(strings.Join(texts, "\n"), oai.EasyInputMessageRoleAssistant), nil
	}
	if len(texts) == len(parts) {
		// Text only: the plain string form, which no other input item
		// shape can be mistaken for.
		return oai.ResponseInputItemParamOfMessage(strings.Join(texts, "\n"), oai.EasyInputMessageRoleUser), nil
	}
	return oai.ResponseInputItemParamOfMessage(parts, oai.EasyInputMessageRoleUser), nil
}

// samplingContent returns a block's text (or text stand-in) and, for a
// well-formed image, its data URL.
func samplingContent(b mcp.Content) (text, imageURL string, err error) {
	switch v := b.(type) {
	case mcp.TextContent:
		return v.Text, "", nil
	case *mcp.TextContent:
		return v.Text, "", nil
	case mcp.ImageContent:
		return imageBlock(v.MIMEType, v.Data)
	case *mcp.ImageContent:
		return imageBlock(v.MIMEType, v.Data)
	case mcp.AudioContent:
		return audioBlock(v.MIMEType, v.Data), "", nil
	case *mcp.AudioContent:
		return audioBlock(v.MIMEType, v.Data), "", nil
	}
	return "", "", fmt.Errorf("%w: %T", ErrSamplingContent, b)
}

func imageBlock(mime, data string) (string, string, error) {
	size := base64Size(data)
	mime = label(mime, 100)
	desc := fmt.Sprintf("[image: %s, %d bytes]", mime, size)
	if size < 0 || !validMediaType(mime) || !strings.HasPrefix(mime, "image/") {
		return "", "", fmt.Errorf("%w: image with media type %q and invalid data", ErrSamplingContent, mime)
	}
	return desc, "data:" + mime + ";base64," + stripNewlines(data), nil
}

func audioBlock(mime, data string) string {
	return fmt.Sprintf("[audio: %s, %d bytes; not sent: the model takes no audio input here]", label(mime, 100), base64Size(data))
}

// SamplingResult turns the model's response into the MCP sampling result:
// the output text as one assistant text block, the model's calls of tools
// (the request's, converted by [SamplingTools]) as tool_use blocks after
// it with stop reason [StopToolUse], the model that answered,
// and the stop reason: "endTurn" for a completed response, "maxTokens"
// when it stopped at max_output_tokens, "stopSequence" when the text was
// cut at one of stop (see SamplingRequest), otherwise the API's reason. A
// failed response, or one with no text, is an error.
func SamplingResult(resp *oai.Response, stop []string, tools *ToolSet) (*mcp.CreateMessageResult, error) {
	if resp == nil {
		return nil, errors.New("no response")
	}
	reason := StopEndTurn
	switch resp.Status {
	case oai.ResponseStatusCompleted:
	case oai.ResponseStatusIncomplete:
		reason = resp.IncompleteDetails.Reason
		if reason == "max_output_tokens" || reason == "" {
			reason = StopMaxTokens
		}
	default:
		msg := string(resp.Status)
		if resp.Error.Message != "" {
			msg += ": " + resp.Error.Message
		}
		return nil, fmt.Errorf("response %s %s", resp.ID, msg)
	}
	text := resp.OutputText()
	if cut, ok := cutAtStop(text, stop); ok {
		text, reason = cut, StopStopSequence
	}
	uses, err := samplingToolUses(resp, tools)
	if err != nil {
		return nil, err
	}
	if len(uses) > 0 && reason != StopMaxTokens {
		var blocks []mcp.Content
		if text != "" {
			blocks = append(blocks, mcp.NewTextContent(text))
		}
		return &mcp.CreateMessageResult{
			SamplingMessage: mcp.SamplingMessage{Role: mcp.RoleAssistant, Content: append(blocks, uses...)},
			Model:           resp.Model,
			StopReason:      StopToolUse,
		}, nil
	}
	if text == "" && reason == StopEndTurn {
		return nil, fmt.Errorf("response %s has no text output", resp.ID)
	}
	return &mcp.CreateMessageResult{
		SamplingMessage: mcp.SamplingMessage{Role: mcp.RoleAssistant, Content: mcp.NewTextContent(text)},
		Model:           resp.Model,
		StopReason:      reason,
	}, nil
}

// cutAtStop cuts s before the earliest occurrence of any stop sequence.
func cutAtStop(s string, stop []string) (string, bool) {
	at := -1
	for _, seq := range stop {
		if seq == "" {
			continue
		}
		if i := strings.Index(s, seq); i >= 0 && (at < 0 || i < at) {
			at = i
		}
	}
	if at < 0 {
		return s, false
	}
	return s[:at], true
}

// chooseModel picks a model for a sampling request from allowed (see
// SamplingOptions.Model); fallback when no hint matches or there are no
// preferences.
func chooseModel(prefs *mcp.ModelPreferences, allowed []string, fallback string) string {
	if prefs == nil {
		return fallback
	}
	for _, h := range prefs.Hints {
		hint := strings.ToLower(strings.TrimSpace(h.Name))
		if hint == "" {
			continue
		}
		for _, m := range allowed {
			if strings.Contains(strings.ToLower(m), hint) {
				return m
			}
		}
	}
	return fallback
}
