namespace ScaleLab.Engine.Sae;

/// <summary>Selecting a row's active latents: the k largest positive pre-activations (TopK then ReLU, as in Gao et al.
/// 2024), or every positive one (ReLU).</summary>
public static class TopK
{
    /// <summary>
    /// Writes the <paramref name="k"/> largest positive values of <paramref name="values"/> (among the indices in
    /// <paramref name="candidates"/>, ascending, or all when it is empty) and their indices, larger first, the lower index
    /// first on a tie; returns how many (fewer than k when fewer are positive). Keeping only positive candidates before
    /// ranking equals ranking then applying the ReLU. Insertion into a sorted list of k: O(L·k) at worst, O(L) when few
    /// candidates beat the current k-th.
    /// </summary>
    public static int Select(ReadOnlySpan<float> values, ReadOnlySpan<int> candidates, int k, Span<int> indices, Span<float> selected)
    {
        var count = 0;
        var all = candidates.IsEmpty;
        var n = all ? values.Length : candidates.Length;
        for (var i = 0; i < n; i++)
        {
            var l = all ? i : candidates[i];
            var v = values[l];
            // Candidates come in ascending index order, so an equal value never displaces an earlier one.
            if (!(v > 0f) || (count == k && !(v > selected[k - 1]))) continue;
            var j = count < k ? count++ : k - 1;
            while (j > 0 && selected[j - 1] < v)
            {
                selected[j] = selected[j - 1];
                indices[j] = indices[j - 1];
                j--;
            }
            selected[j] = v;
            indices[j] = l;
        }
        return count;
    }

    /// <summary>Every positive value of <paramref name="values"/> and its index, in index order; returns how many.</summary>
    public static int Positive(ReadOnlySpan<float> values, Span<int> indices, Span<float> selected)
    {
        var count = 0;
        for (var l = 0; l < values.Length; l++)
        {
            if (values[l] > 0f)
            {
                indices[count] = l;
                selected[count++] = values[l];
            }
        }
        return count;
    }
}
