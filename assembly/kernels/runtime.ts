// Facts about the module the TypeScript side needs at load time.

/** heap_base(): first byte after the module's static data; the TypeScript allocator starts here. */
export function heap_base(): usize { return __heap_base; }
