namespace MLNetCnn.Cli.Tests.Support;

/// <summary>
/// The tests that start the tool as processes of their own and time them (Ctrl+C within a batch, a killed and resumed search,
/// two search workers) run one class at a time, so that their processes do not compete with each other for two cores.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ProcessCollection
{
    public const string Name = "Tool processes";
}
