package lualib_test

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/dialua/dialua/emulator"
	"github.com/dialua/dialua/emulator/emulatortest"
)

// Credentials of the emulator of the Lua tests besides the default ones: a key limited to 10
// tokens a minute of "echo", and an application's per-request key.
const (
	limitedKey = "dial-emulator-limited"
	appKey     = "dial-emulator-app"
)

// addSurfaceConfig adds what the tests of limits, tokens and pricing need to cfg.
func addSurfaceConfig(cfg *emulator.Config) {
	cfg.Keys = append(cfg.Keys,
		emulator.Identity{Key: limitedKey, Bucket: "LimitedBucket", Limits: map[string]emulator.RateLimit{"echo": {Minute: 10}}},
		emulator.Identity{Key: appKey, Bucket: "AppBucket", Application: "report-bot"})
	cfg.Deployments = append(cfg.Deployments, emulator.Deployment{ID: "counted",
		Features: map[string]bool{"tokenize": true, "truncate_prompt": true},
		Limits:   &emulator.Limits{MaxPromptTokens: 4},
		Pricing:  &emulator.Pricing{Unit: "token", Prompt: "0.5", Completion: "2"}})
}

// addHeaderEcho makes srv answer under the deployment "headers" and the folder "headers/" of
// any bucket with the X-Conversation-Id header it received: as a chat answer (block or
// streamed), as the model of an embeddings answer, and as file content.
func addHeaderEcho(srv *emulatortest.Server) {
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := r.Header.Get("X-Conversation-Id")
		switch {
		case strings.HasSuffix(r.URL.Path, "/embeddings"):
			writeJSON(w, map[string]any{"object": "list", "model": got, "data": []any{}})
		case strings.HasSuffix(r.URL.Path, "/chat/completions"):
			var req struct {
				Stream bool `json:"stream"`
			}
			json.NewDecoder(r.Body).Decode(&req)
			msg := map[string]any{"role": "assistant", "content": got}
			if req.Stream {
				chunk, _ := json.Marshal(map[string]any{"choices": []any{map[string]any{"index": 0, "delta": msg, "finish_reason": "stop"}}})
				w.Header().Set("Content-Type", "text/event-stream")
				w.Write([]byte("data: " + string(chunk) + "\n\ndata: [DONE]\n\n"))
				return
			}
			writeJSON(w, map[string]any{"object": "chat.completion",
				"choices": []any{map[string]any{"index": 0, "message": msg, "finish_reason": "stop"}}})
		default:
			w.Write([]byte(got))
		}
	})
	srv.Handle("POST /openai/deployments/headers/", echo)
	srv.Handle("GET /v1/files/{bucket}/headers/", echo)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}
