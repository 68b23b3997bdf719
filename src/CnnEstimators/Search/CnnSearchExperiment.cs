using Microsoft.ML;

namespace MLNetCnn;

/// <summary>
/// An architecture and hyperparameter search under a hard time budget, in the manner of ML.NET AutoML's <c>AutoMLExperiment</c>: set the
/// data, the space (<see cref="CnnSearchSpace"/>, by default derived from the data), the strategy (<see cref="CnnSearchStrategy.Asha"/>
/// by default) and the limits, then <see cref="Run"/>. Trials that cannot meet <see cref="SetMaxParameters"/> or <see cref="SetMaxLatency"/>
/// are not trained to the end; every latency reported is measured on this machine through a <c>PredictionEngine</c> on the chosen engine.
/// With <see cref="SetOutputFolder"/> the search is resumable (run it again on the same folder and completed trials are not retrained) and
/// can be shared by several processes or machines, each running the same search on the same folder.
/// </summary>
public sealed partial class CnnSearchExperiment
{
    private readonly MLContext ml;
    private IDataView? train;
    private IDataView? validation;
    private double validationFraction;
    private CnnSearchSpace? space;
    private CnnSearchStrategy strategy = CnnSearchStrategy.Asha();
    private TimeSpan? budget;
    private int? maxTrials;
    private TimeSpan? maxLatency;
    private long? maxParameters;
    private CnnInferenceEngine engine = CnnInferenceEngine.OnnxRuntime;
    private int seed;
    private string? folder;
    private string labelColumn = "Label";
    private CnnSelectionMetric metric = CnnSelectionMetric.Accuracy;

    internal CnnSearchExperiment(MLContext ml) => this.ml = ml;

    // The setters change one setting and return the experiment, for chaining.
    private CnnSearchExperiment With(Action change)
    {
        change();
        return this;
    }

    /// <summary>Training rows (a key label and an image column, as the trainer takes them) and the validation rows every trial is ranked on.</summary>
    public CnnSearchExperiment SetDataset(IDataView trainData, IDataView validationData)
        => With(() => (train, validation, validationFraction) = (trainData ?? throw new ArgumentNullException(nameof(trainData)), validationData ?? throw new ArgumentNullException(nameof(validationData)), 0));

    /// <summary>Rows of which a seeded <paramref name="fraction"/> is held out once for validation, the same rows for every trial.</summary>
    public CnnSearchExperiment SetDataset(IDataView data, double fraction = 0.2)
        => With(() => (train, validation, validationFraction) = (data ?? throw new ArgumentNullException(nameof(data)), null, fraction));

    /// <summary>What trials are drawn from; default: <see cref="CnnSearchSpace.For(IDataView, string, string)"/> the data.</summary>
    public CnnSearchExperiment SetSearchSpace(CnnSearchSpace searchSpace)
        => With(() => space = searchSpace ?? throw new ArgumentNullException(nameof(searchSpace)));

    /// <summary>How the budget is spent; default: <see cref="CnnSearchStrategy.Asha"/>(1, 9, 3).</summary>
    public CnnSearchExperiment SetStrategy(CnnSearchStrategy searchStrategy)
        => With(() => strategy = searchStrategy ?? throw new ArgumentNullException(nameof(searchStrategy)));

    /// <summary>Wall time for the whole search (training, validation, latency measurement, loading the best model); required.</summary>
    public CnnSearchExperiment SetTimeBudget(TimeSpan timeBudget)
        => With(() => budget = timeBudget);

    /// <summary>Draw at most this many trials (the budget still applies); default: as many as the budget allows.</summary>
    public CnnSearchExperiment SetMaxTrials(int trials)
        => With(() => maxTrials = trials);

    /// <summary>The most a single image may take to score (median through a <c>PredictionEngine</c> on the search's engine).</summary>
    public CnnSearchExperiment SetMaxLatency(TimeSpan latency)
        => With(() => maxLatency = latency);

    /// <summary>The most learnable parameters a network may have.</summary>
    public CnnSearchExperiment SetMaxParameters(long parameters)
        => With(() => maxParameters = parameters);

    /// <summary>The engine latency is measured on and the best model scores with: <see cref="CnnInferenceEngine.OnnxRuntime"/> (default) or <see cref="CnnInferenceEngine.OnnxRuntimeInt8"/>.</summary>
    public CnnSearchExperiment SetInferenceEngine(CnnInferenceEngine inferenceEngine)
        => With(() => engine = inferenceEngine);

    /// <summary>Seeds the trials' configurations, their training and the validation split: the same seed and budget draw the same trials.</summary>
    public CnnSearchExperiment SetSeed(int searchSeed)
        => With(() => seed = searchSeed);

    /// <summary>
    /// Where trials, jobs, results, checkpoints and classifiers are kept. A folder that holds the same search is continued; one that
    /// holds another search is refused. Default: a temporary folder, removed at the end.
    /// </summary>
    public CnnSearchExperiment SetOutputFolder(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return With(() => folder = path);
    }

    /// <summary>The key label column; default <c>Label</c>.</summary>
    public CnnSearchExperiment SetLabelColumn(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return With(() => labelColumn = name);
    }

    /// <summary>What trials are ranked by at rungs and for the best: validation accuracy (default), macro accuracy or log-loss.</summary>
    public CnnSearchExperiment SetOptimizingMetric(CnnSelectionMetric selectionMetric)
        => With(() => metric = selectionMetric);

    /// <summary>Every problem of the settings, in one list; empty when the search can run.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (train is null)
            problems.Add("No data: call SetDataset(train, validation) or SetDataset(data, fraction).");
        if (train is not null && validation is null && validationFraction is not (> 0 and < 1))
            problems.Add($"SetDataset: the validation fraction must be between 0 and 1 (exclusive); got {validationFraction}.");
        if (budget is null)
            problems.Add("No time budget: call SetTimeBudget (the search's wall time, all of it included).");
        else if (budget <= TimeSpan.Zero)
            problems.Add($"SetTimeBudget: the budget must be positive; got {budget}.");
        if (maxTrials is < 1)
            problems.Add($"SetMaxTrials: at least 1 trial; got {maxTrials}.");
        if (maxLatency is { } l && l <= TimeSpan.Zero)
            problems.Add($"SetMaxLatency: the limit must be positive; got {l}.");
        if (maxParameters is < 1)
            problems.Add($"SetMaxParameters: at least 1 parameter; got {maxParameters}.");
        if (engine is not (CnnInferenceEngine.OnnxRuntime or CnnInferenceEngine.OnnxRuntimeInt8 or CnnInferenceEngine.TorchSharp))
            problems.Add($"SetInferenceEngine: OnnxRuntime, OnnxRuntimeInt8 or TorchSharp; got {engine}.");
        if (!Enum.IsDefined(metric))
            problems.Add($"SetOptimizingMetric: not a metric: {metric}.");
        if (space is not null)
            problems.AddRange(space.Problems().Select(p => "Search space: " + p));
        return problems;
    }

    /// <summary>
    /// Runs the search until the strategy has nothing left to run, the trial limit is reached or the budget is spent, then returns every
    /// trial, the front and the best trial's classifier (continued to the end of its schedule first when the budget allows).
    /// </summary>
    /// <param name="progress">Reports each trial as a job of it ends (a trial reappears as it climbs rungs).</param>
    /// <param name="cancellationToken">Stops the search within one batch; with an output folder, running it again continues.</param>
    /// <exception cref="ArgumentException">A setting is invalid, the data has fewer than two classes or no rows, the folder holds another
    /// search, or no candidate of the space meets <see cref="SetMaxParameters"/>.</exception>
    /// <exception cref="InvalidOperationException">No trial could be trained and validated within the budget and the limits; the message says
    /// what was measured (the time one epoch needs, the fastest latency, the errors).</exception>
    public CnnSearchResult Run(IProgress<CnnSearchTrial>? progress = null, CancellationToken cancellationToken = default)
    {
        OptionProblems.ThrowIfAny("search settings", Problems());
        return new SearchRun(ml, this, cancellationToken, progress).Execute(worker: false)!;
    }

    /// <summary>
    /// Runs trials of the search in <see cref="SetOutputFolder"/> as one more worker beside the process that runs <see cref="Run"/> (on this
    /// machine or another sharing the folder): claims jobs until the strategy has none left, then returns without choosing or loading the
    /// best model. Every worker needs the same settings and data; jobs are claimed under the folder's lock, so none runs twice.
    /// </summary>
    /// <param name="progress">Reports each trial as a job of this worker ends.</param>
    /// <param name="cancellationToken">Stops this worker within one batch; the job it leaves is taken up again by the next worker that looks.</param>
    /// <exception cref="ArgumentException">A setting is invalid, no output folder is set, or the folder holds another search.</exception>
    public void RunTrials(IProgress<CnnSearchTrial>? progress = null, CancellationToken cancellationToken = default)
    {
        var problems = Problems().ToList();
        if (folder is null)
            problems.Add("RunTrials works on a shared search folder: call SetOutputFolder with the folder of the search.");
        OptionProblems.ThrowIfAny("search settings", problems);
        new SearchRun(ml, this, cancellationToken, progress).Execute(worker: true);
    }
}
