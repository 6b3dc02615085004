"""The offline HTML package of a collection: its zip layout, its builder, its download links."""
