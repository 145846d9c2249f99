package dial

// CheckHeader reports whether [Header] and [WithHeader] accept a header: a valid name that
// does not carry credentials and is not set by the transport, and a value without line
// breaks. Callers that build options from user input use it to report misuse early.
func CheckHeader(key, value string) error {
	_, err := checkHeader(key, value)
	return err
}
