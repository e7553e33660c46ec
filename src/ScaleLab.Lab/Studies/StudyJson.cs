using System.Text.Json;
using ScaleLab.Laws;

namespace ScaleLab.Lab.Studies;

/// <summary>The JSON settings of the study documents (<c>gns</c>, <c>critical-batch</c>).</summary>
public static class StudyJson
{
    /// <summary>snake_case names, indented, non-finite numbers as null (<see cref="JsonNumbers"/>).</summary>
    public static JsonSerializerOptions Options { get; } = JsonNumbers.With(new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
    });
}
