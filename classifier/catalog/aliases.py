"""Reviewed dataset labels that honest name matching cannot place (see catalog.build_catalog).

Matching already handles case, punctuation, dropped possessives, older eBird names, other authorities'
names, splits and the datasets' species.csv hints. An entry belongs here only when all of those fail or
are wrong after looking at the photos; tests/classifier/catalog/test_catalog.py checks that every entry
changes the result.
"""

from __future__ import annotations

# Dataset label (the folder name, exactly) -> eBird species code, or scientific name of a genus/family.
ALIASES: dict[str, str] = {
    # --- cub100: CUB-200 (2011) names no taxonomy in birdnames keeps ---
    # Split in 2010 into Eastern and Mexican Whip-poor-will; CUB's Flickr photos are of the eastern bird.
    "Whip_poor_Will": "easwpw1",
    # CUB's North American "White Pelican": the photos show the bill knob of American White Pelican.
    "White_Pelican": "amwpel",
    # Old English name of Halcyon smyrnensis, now White-throated Kingfisher.
    "White_breasted_Kingfisher": "whtkin2",
    # --- gpiosenka525: misspelled labels whose species.csv hint uses an old genus or spelling ---
    "ALBERTS TOWHEE": "abetow",  # Abert's Towhee; hint Pipilo aberti is now Melozone aberti
    "BLACK TAIL CRAKE": "bltcra1",  # Black-tailed Crake; hint Amaurornis bicolor is now Zapornia
    "BRANDT CORMARANT": "bracor",  # Brandt's Cormorant; hint Phalacrocorax penicillatus is now Urile
    "CURL CRESTED ARACURI": "cucara1",  # Curl-crested Aracari; the hint misspells beauharnaisii
    "DOUBLE BRESTED CORMARANT": "doccor",  # Double-crested; hint Phalacrocorax auritus is now Nannopterum
    "IWI": "iiwi",  # 'I'iwi; hint Vestiaria coccinea is now Drepanis coccinea
    # --- gpiosenka525: species.csv hint names another bird than the photos show ---
    # Scrub-jays (Florida, California), not the hint's Black-collared Jay (Cyanolyca armillata).
    "CHARA DE COLLAR": "Aphelocoma",
    # Red-tailed Laughingthrush (orange crown, red wings), not the hint's Red-tailed Ant-Thrush.
    "RED TAILED THRUSH": "retlau1",
    # Dwarf kingfishers (Ceyx rufidorsa/erithaca), not the hint's Green-and-rufous Kingfisher.
    "RUFOUS KINGFISHER": "Ceyx",
    # White-headed Sumatran Laughingthrush, not the hint's Sumatran Whistling-Thrush.
    "SAMATRAN THRUSH": "sumlau1",
    # --- gpiosenka525: the photos show several species, so the genus/family is the honest class ---
    # Barn Owl was split in eBird 2024 (Western, American, Eastern); the photos mix white and buff birds.
    "BARN OWL": "Tyto",
    # Hint Sitta carolinensis (White-breasted), but half the photos are Red-breasted Nuthatch.
    "CRESTED NUTHATCH": "Sitta",
    # Hint Ptilinopus insularis (Henderson Island Fruit-Dove); the photos show several fruit-doves.
    "SCARLET CROWNED FRUIT DOVE": "Ptilinopus",
    # Banded Pitta is now three banded-pittas; the photos include more than one (hint guajanus is Javan).
    "BANDED PITA": "Hydrornis",
    # Red-bellied Pitta was split into about 17 species that the photos cannot tell apart.
    "RED BELLIED PITTA": "Erythropitta",
    # Purple Swamphen (AviList still lumps it) is six species in eBird; the photos include Gray-headed
    # and Australasian, not only the Western the name and hint lead to.
    "PURPLE SWAMPHEN": "Porphyrio",
    # White-crested Hornbill was split into Western and Eastern Long-tailed Hornbill.
    "WHITE CRESTED HORNBILL": "Horizocerus",
    # Small terns with black-tipped bills (Little/Least) beside the hint's Australian Fairy Tern.
    "FAIRY TERN": "Sternula",
    # Common and Dark-necked Tailorbird both appear; the label names no species.
    "TAILORBIRD": "Orthotomus",
    # Oriental dwarf kingfishers (Ceyx) and African Pygmy Kingfisher (Ispidina): two genera.
    "PYGMY KINGFISHER": "Alcedinidae",
    # White-tailed black-cockatoos: Carnaby's (the hint) and Baudin's cannot be told apart in photos.
    "BLACK COCKATO": "Zanda",
}

# Labels whose photos show no bird taxon at all; they get no record, and the reason is kept for review.
EXCLUDED: dict[str, str] = {
    # The Kaggle set's joke class (hint "Lunaticus americonis"): portraits of politicians.
    "LOONEY BIRDS": "a joke class of the Kaggle set: photos of people, no bird",
}

# English names for genus/family records: birdnames only carries English names for species.
GROUP_NAMES: dict[str, str] = {
    "Alcedinidae": "Kingfishers",
    "Aphelocoma": "Scrub-jays and allies",
    "Apteryx": "Kiwis",
    "Cacatuidae": "Cockatoos",
    "Casuarius": "Cassowaries",
    "Cephalopterus": "Umbrellabirds",
    "Ceyx": "Dwarf kingfishers and allies",
    "Corvus": "Crows and ravens",
    "Dacelo": "Kookaburras",
    "Diomedeidae": "Albatrosses",
    "Erythropitta": "Red-bellied pittas and allies",
    "Fratercula": "Puffins",
    "Fregatidae": "Frigatebirds",
    "Geococcyx": "Roadrunners",
    "Haematopus": "Oystercatchers",
    "Horizocerus": "Long-tailed and dwarf hornbills",
    "Hydrornis": "Banded pittas and allies",
    "Irena": "Fairy-bluebirds",
    "Lophoceros": "Pied and dwarf hornbills",
    "Numididae": "Guineafowl",
    "Onychorhynchus": "Royal flycatchers",
    "Orthotomus": "Tailorbirds",
    "Paradisaeidae": "Birds-of-paradise",
    "Paridae": "Tits, chickadees and titmice",
    "Porphyrio": "Swamphens and allies",
    "Ptilinopus": "Fruit-doves",
    "Ramphastidae": "Toucans",
    "Rupicola": "Cocks-of-the-rock",
    "Sitta": "Nuthatches",
    "Sternula": "Small terns",
    "Tachyeres": "Steamer-ducks",
    "Thamnophilidae": "Antbirds",
    "Tyto": "Barn owls and allies",
    "Upupidae": "Hoopoes",
    "Zanda": "White- and yellow-tailed black-cockatoos",
}
