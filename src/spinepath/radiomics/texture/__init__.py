"""Texture matrices and their features (IBSI 3.6-3.11).

Every function takes the discretised ROI ``q`` (grey levels 1..Ng inside the intensity mask,
0 outside) with the slice axis last, and returns features keyed by their IBSI tag.
"""
