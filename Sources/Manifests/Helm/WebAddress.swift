/// The URL and email forms Chart.yaml fields take (helm lint checks them with govalidator).
enum WebAddress {
    /// An absolute URL with a scheme and a host: `https://example.com/x`, `git://host/repo`.
    static func isRequestURL(_ text: String) -> Bool {
        text.wholeMatch(of: /[A-Za-z][A-Za-z0-9+.\-]*:\/\/[^\s\/?#@]*@?[^\s\/?#]+([\/?#]\S*)?/) != nil
    }

    /// A URL whose scheme may be left out (`github.com/someone`), as a maintainer's `url`.
    static func isURL(_ text: String) -> Bool {
        isRequestURL(text) || isRequestURL("https://" + text) && text.contains(".") && !text.contains("://")
    }

    static func isEmail(_ text: String) -> Bool {
        text.wholeMatch(of: /[^@\s]+@[^@\s.]+(\.[^@\s.]+)+/) != nil
    }
}
