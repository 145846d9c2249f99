package main

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// chatState is the file where dialua chat remembers the last conversation of each DIAL
// server (by its URL), for -c: dialua/chat.json in the user's configuration directory,
// readable only by the user. The embedded emulator keeps nothing between runs, so nothing is
// remembered of it.
type chatState struct {
	Last map[string]string `json:"last"`
}

// chatStateFile returns the path of the chat's state file, or "" when there is no
// configuration directory.
func (s *session) chatStateFile() string {
	dir, err := s.c.configDir()
	if err != nil || dir == "" {
		return ""
	}
	return filepath.Join(dir, "dialua", "chat.json")
}

// readChatState reads the state file; a missing file is an empty state.
func (s *session) readChatState() (chatState, error) {
	st := chatState{Last: map[string]string{}}
	path := s.chatStateFile()
	if path == "" {
		return st, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(b, &st); err != nil || st.Last == nil {
		return chatState{Last: map[string]string{}}, nil // a damaged file is replaced
	}
	return st, nil
}

// lastConversation returns the URL of the last conversation with this DIAL server, or "".
func (s *session) lastConversation() string {
	st, _ := s.readChatState()
	return st.Last[s.serverKey()]
}

// rememberConversation records url as the last conversation with this DIAL server.
func (s *session) rememberConversation(url string) error {
	path := s.chatStateFile()
	if path == "" || s.emulatorURL != "" {
		return nil
	}
	st, err := s.readChatState()
	if err != nil {
		return err
	}
	st.Last[s.serverKey()] = url
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp := path + ".tmp"
	_ = os.Remove(tmp) // WriteFile keeps the mode of a file that exists
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// serverKey is the DIAL server's URL as the state file keys it.
func (s *session) serverKey() string { return strings.TrimRight(s.o.url, "/") }
