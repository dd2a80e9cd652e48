package csp

import (
	"fmt"
	"math"
)

// Money is an amount in minor units (cents) of a currency. Integer minor
// units keep sums exact; proration rounds once, at the end, half away from
// zero.
type Money struct {
	Minor    int64  `json:"minor" yaml:"minor"`
	Currency string `json:"currency" yaml:"currency"`
}

// NewMoney returns an amount from a decimal value (105.60 → 10560 minor).
func NewMoney(amount float64, currency string) Money {
	return Money{Minor: int64(math.Round(amount * 100)), Currency: currency}
}

// Float returns the amount in major units, for formatting only.
func (m Money) Float() float64 { return float64(m.Minor) / 100 }

// IsZero reports whether the amount is zero.
func (m Money) IsZero() bool { return m.Minor == 0 }

// Add returns m+o. Adding a zero amount of another (or no) currency is
// allowed so that sums can start from Money{}.
func (m Money) Add(o Money) Money {
	cur := m.Currency
	if cur == "" {
		cur = o.Currency
	}
	return Money{Minor: m.Minor + o.Minor, Currency: cur}
}

// Sub returns m-o.
func (m Money) Sub(o Money) Money { return m.Add(Money{Minor: -o.Minor, Currency: o.Currency}) }

// Mul returns m×n.
func (m Money) Mul(n int) Money { return Money{Minor: m.Minor * int64(n), Currency: m.Currency} }

// Prorate returns m × num / den rounded half away from zero to the minor
// unit. It is used for daily proration (days left / days in term).
func (m Money) Prorate(num, den int64) Money {
	if den == 0 {
		return Money{Currency: m.Currency}
	}
	v := float64(m.Minor) * float64(num) / float64(den)
	return Money{Minor: int64(math.Round(v)), Currency: m.Currency}
}

// String is a locale-neutral form for logs and tests ("105.60 EUR").
// Users see money formatted by the bot in their locale.
func (m Money) String() string {
	sign := ""
	v := m.Minor
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%02d %s", sign, v/100, v%100, m.Currency)
}
