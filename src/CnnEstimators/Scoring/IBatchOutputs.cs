using Microsoft.ML;

namespace MLNetCnn.Scoring;

/// <summary>
/// What a batched CNN transformer adds to rows: its columns, the values one forward pass gives per row,
/// and getters over them. The classifier (Score, PredictedLabel) and the featurizer (a feature vector)
/// share one lazy data view, cursor and row mapper through it.
/// </summary>
internal interface IBatchOutputs
{
    string ImageColumnName { get; }
    CnnPreprocessing Preprocessing { get; }
    int BatchSize { get; }
    bool SkipUnreadableImages { get; }

    /// <summary>Values per row of <see cref="Compute"/>.</summary>
    int ValuesPerRow { get; }

    /// <summary>Columns added after the input's.</summary>
    int AddedColumns { get; }

    /// <summary>The input schema followed by the added columns.</summary>
    DataViewSchema OutputSchema(DataViewSchema input);

    /// <summary>A cursor or prediction engine starts scoring: the network's current weights are the ones to use.</summary>
    void BeginScoring();

    /// <summary>Row-major <c>N x ValuesPerRow</c> values for a batch of raw images.</summary>
    float[] Compute(PixelBatch batch);

    /// <summary>The getter of added column <paramref name="addedColumn"/> over the current row's values.</summary>
    ValueGetter<TValue> Getter<TValue>(int addedColumn, ScoreGetters.Probabilities current);
}
