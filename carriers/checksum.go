package carriers

// Check digits are only verified where the algorithm is public, stable and
// confirmed against real numbers from independent sources; a wrong algorithm
// would refuse real shipments, which is worse than accepting a typo.

// upsCheckDigitOK verifies the last character of a "1Z" UPS number. The 15
// characters after "1Z" are mapped to digits (letters as (ASCII-63) mod 10, so
// A=2 ... H=9, I=0, J=1 ...), every second one is doubled, and the check digit
// brings the sum up to a multiple of ten.
func upsCheckDigitOK(n string) bool {
	if len(n) != 18 || n[0] != '1' || n[1] != 'Z' {
		return false
	}
	sum := 0
	for i := 2; i < 17; i++ {
		c := n[i]
		var v int
		switch {
		case c >= '0' && c <= '9':
			v = int(c - '0')
		case c >= 'A' && c <= 'Z':
			v = (int(c) - 63) % 10
		default:
			return false
		}
		if (i-2)%2 == 1 {
			v *= 2
		}
		sum += v
	}
	want := (10 - sum%10) % 10
	return n[17] == byte('0'+want)
}

// s10CheckDigitOK verifies the UPU S10 item identifier (2 letters, 8-digit
// serial, check digit, 2-letter country): weights 8 6 4 2 3 5 9 7, check digit
// 11 - sum mod 11, where 10 becomes 0 and 11 becomes 5.
func s10CheckDigitOK(n string) bool {
	if len(n) != 13 {
		return false
	}
	weights := [8]int{8, 6, 4, 2, 3, 5, 9, 7}
	sum := 0
	for i, w := range weights {
		c := n[2+i]
		if c < '0' || c > '9' {
			return false
		}
		sum += int(c-'0') * w
	}
	want := 11 - sum%11
	switch want {
	case 10:
		want = 0
	case 11:
		want = 5
	}
	return n[10] == byte('0'+want)
}
