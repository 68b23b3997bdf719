namespace MLNetCnn.Cli.Tests.Support;

/// <summary>
/// The tests that start the tool as processes of their own and time them (Ctrl+C within a batch, a killed and resumed search,
/// two search workers) run one class at a time: side by side on two cores, each process's libtorch threads would starve the
/// others' and turn a deadline into a test of the machine's load.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ProcessCollection
{
    public const string Name = "Tool processes";
}
