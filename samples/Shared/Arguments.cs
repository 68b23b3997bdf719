namespace MLNetCnn.Samples;

/// <summary>The samples' <c>--name value</c> command-line options.</summary>
internal sealed class Arguments(string[] args)
{
    public string Get(string name, string fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }

    public int Get(string name, int fallback) => int.Parse(Get(name, fallback.ToString()));

    public string? GetOrNull(string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
