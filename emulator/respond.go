package emulator

import (
	"encoding/json"
	"io"
	"net/http"
)

// plain writes a Core-style plain-text error: the message as the body and no Content-Type.
func plain(w http.ResponseWriter, status int, msg string) {
	w.Header()["Content-Type"] = nil // suppress sniffing: Core sends none
	w.WriteHeader(status)
	io.WriteString(w, msg)
}

// writeJSON writes v as a JSON body with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// jsonError writes Core's OpenAI-compatible error envelope.
func jsonError(w http.ResponseWriter, status int, e errorBody) {
	writeJSON(w, status, map[string]errorBody{"error": e})
}

// errorBody is the inside of {"error":{…}}; empty fields are omitted as Core omits nulls.
type errorBody struct {
	Message        string `json:"message"`
	Type           string `json:"type,omitempty"`
	Param          string `json:"param,omitempty"`
	Code           string `json:"code,omitempty"`
	DisplayMessage string `json:"display_message,omitempty"`
}
