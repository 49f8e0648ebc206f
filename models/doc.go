// Package models holds Fahuo's data types: the gorm structs that mirror the
// tables, the enums of the domain, and the error type every rule reports
// through. It imports nothing of Fahuo's own, so every other package can
// depend on it.
package models
