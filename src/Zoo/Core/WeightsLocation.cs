namespace MLNetCnn.Zoo;

/// <summary>
/// Where pretrained weights come from and where they are kept: settings the weights' descriptions, the cache and the
/// registry share, held here below all of them (<see cref="CnnZoo.WeightsBaseUrl"/> and <see cref="CnnZoo.CacheFolder"/> expose them).
/// </summary>
internal static class WeightsLocation
{
    private static readonly object Gate = new();

    // Read from MLNETCNN_WEIGHTS_URL when first asked for, so a bad value is reported where it is used, naming the variable.
    private static Uri? baseUrl;

    private static TimeSpan idleTimeout = TimeSpan.FromSeconds(60);

    /// <summary>The URL base weights files are fetched from: <c>MLNETCNN_WEIGHTS_URL</c> when set, else torchvision's.</summary>
    /// <exception cref="ArgumentException">The base set (or <c>MLNETCNN_WEIGHTS_URL</c>) is not an absolute http or https URL.</exception>
    public static Uri BaseUrl
    {
        get
        {
            lock (Gate)
                return baseUrl ??= FromEnvironment();
        }
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            var checkedUrl = Checked(value, "The weights URL base");
            lock (Gate) baseUrl = checkedUrl;
        }
    }

    /// <summary>How long a download may wait for the server's next bytes (or its first answer) before it is given up.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive.</exception>
    public static TimeSpan DownloadIdleTimeout
    {
        get { lock (Gate) return idleTimeout; }
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(value, TimeSpan.Zero);
            lock (Gate) idleTimeout = value;
        }
    }

    private static Uri FromEnvironment()
    {
        if (Environment.GetEnvironmentVariable("MLNETCNN_WEIGHTS_URL") is not { Length: > 0 } mirror)
            return new Uri("https://download.pytorch.org/models/");
        if (!Uri.TryCreate(mirror, UriKind.Absolute, out var url))
            throw new ArgumentException($"MLNETCNN_WEIGHTS_URL must be an absolute http or https URL; got '{mirror}'.");
        return Checked(url, "MLNETCNN_WEIGHTS_URL");
    }

    // Weights come over http(s) only: a file:, ftp: or other URL would read whatever it names.
    private static Uri Checked(Uri url, string what)
    {
        if (!url.IsAbsoluteUri || url.Scheme is not ("http" or "https"))
            throw new ArgumentException($"{what} must be an absolute http or https URL; got '{url}'.");
        return WithTrailingSlash(url);
    }

    /// <summary>
    /// MLNetCnn's cache folder: <c>MLNETCNN_HOME</c>, else <c>$XDG_CACHE_HOME/mlnetcnn</c>, else <c>~/.cache/mlnetcnn</c>.
    /// </summary>
    public static string CacheFolder => Environment.GetEnvironmentVariable("MLNETCNN_HOME") is { Length: > 0 } home
        ? home
        : Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "mlnetcnn");

    private static Uri WithTrailingSlash(Uri uri) => uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");
}
