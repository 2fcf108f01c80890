extension Character {
    /// 0–9 only (`isNumber` alone also accepts other scripts' digits and fractions).
    var isASCIIDigit: Bool { isASCII && isNumber }
    /// a–z and A–Z only.
    var isASCIILetter: Bool { isASCII && isLetter }
}
