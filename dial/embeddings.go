package dial

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
)

// EmbeddingsRequest is the body of an embeddings call. Input is a string, a []string, a
// []int of tokens or a [][]int. Members this type does not declare go in Extra, encoded
// inline.
type EmbeddingsRequest struct {
	Input any `json:"input"`
	// Model is sent as given; DIAL routes on the deployment in the URL.
	Model string `json:"model,omitempty"`
	// EncodingFormat is "float" (the default) or "base64"; both decode into
	// Embedding.Embedding.
	EncodingFormat string `json:"encoding_format,omitempty"`
	Dimensions     *int   `json:"dimensions,omitempty"`
	User           string `json:"user,omitempty"`
	// CustomInput is DIAL's multimodal input: strings and attachments.
	CustomInput []any `json:"custom_input,omitzero"`
	// CustomFields is DIAL's custom_fields, such as {"type": "query", "instruction": "…"}.
	CustomFields map[string]any             `json:"custom_fields,omitzero"`
	Extra        map[string]json.RawMessage `json:"-"`
}

// EmbeddingsResponse is the answer of an embeddings call. Raw holds the body as received.
type EmbeddingsResponse struct {
	Object string                     `json:"object"`
	Model  string                     `json:"model,omitempty"`
	Data   []Embedding                `json:"data"`
	Usage  *Usage                     `json:"usage,omitempty"`
	Extra  map[string]json.RawMessage `json:"-"`
	Raw    json.RawMessage            `json:"-"`
}

type embeddingsResponseJSON EmbeddingsResponse

var embeddingsResponseFields = jsonFields[embeddingsResponseJSON]()

// MarshalJSON encodes the typed fields and Extra (not Raw).
func (r EmbeddingsResponse) MarshalJSON() ([]byte, error) {
	return marshalExtra(embeddingsResponseJSON(r), r.Extra, embeddingsResponseFields)
}

// UnmarshalJSON decodes a response, keeping undeclared members in Extra and a copy of b in
// Raw.
func (r *EmbeddingsResponse) UnmarshalJSON(b []byte) error {
	*r = EmbeddingsResponse{}
	if err := unmarshalExtra(b, (*embeddingsResponseJSON)(r), &r.Extra, embeddingsResponseFields); err != nil {
		return err
	}
	r.Raw = bytes.Clone(b)
	return nil
}

// Embedding is one vector of an [EmbeddingsResponse], for the input at Index.
type Embedding struct {
	Index  int    `json:"index"`
	Object string `json:"object,omitempty"`
	// Embedding is the vector; a base64 answer (little-endian float32s) is decoded into it.
	Embedding []float64 `json:"-"`
}

type embeddingWire struct {
	Index     int             `json:"index"`
	Object    string          `json:"object,omitempty"`
	Embedding json.RawMessage `json:"embedding"`
}

// MarshalJSON encodes the vector as an array of numbers.
func (e Embedding) MarshalJSON() ([]byte, error) {
	v, err := json.Marshal(e.Embedding)
	if err != nil {
		return nil, err
	}
	return json.Marshal(embeddingWire{Index: e.Index, Object: e.Object, Embedding: v})
}

// UnmarshalJSON accepts the vector as an array of numbers or as base64 float32s.
func (e *Embedding) UnmarshalJSON(b []byte) error {
	var w embeddingWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*e = Embedding{Index: w.Index, Object: w.Object}
	v := bytes.TrimSpace(w.Embedding)
	switch {
	case isNull(v):
		return nil
	case v[0] == '"':
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return err
		}
		raw, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return fmt.Errorf("dial: base64 embedding: %w", err)
		}
		if len(raw)%4 != 0 {
			return errors.New("dial: base64 embedding length is not a multiple of 4")
		}
		e.Embedding = make([]float64, len(raw)/4)
		for i := range e.Embedding {
			e.Embedding[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:])))
		}
		return nil
	default:
		return json.Unmarshal(v, &e.Embedding)
	}
}

// Embeddings computes embeddings with deployment (POST
// /openai/deployments/{id}/embeddings, with the api-version of the client or call).
func (c *Client) Embeddings(ctx context.Context, deployment string, req EmbeddingsRequest, opts ...CallOption) (*EmbeddingsResponse, error) {
	body, err := marshalBody(req)
	if err != nil {
		return nil, err
	}
	r, err := c.deploymentRequest(deployment, "embeddings", body, false, opts)
	if err != nil {
		return nil, err
	}
	var resp EmbeddingsResponse
	if err := c.callJSON(ctx, r, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// EmbeddingsRaw is [Client.Embeddings] for a request body built elsewhere; body must be a JSON
// object and is sent as it is. It returns the response body as received, checked to be JSON.
func (c *Client) EmbeddingsRaw(ctx context.Context, deployment string, body json.RawMessage, opts ...CallOption) (json.RawMessage, error) {
	r, err := c.deploymentRequest(deployment, "embeddings", body, false, opts)
	if err != nil {
		return nil, err
	}
	data, _, err := c.call(ctx, r)
	if err != nil {
		return nil, err
	}
	if !validJSON(data) {
		return nil, parseError(r.method, c.base.Path+r.path, errNotJSON)
	}
	return data, nil
}
