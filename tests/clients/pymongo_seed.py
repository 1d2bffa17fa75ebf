"""The seeds' walk-through with pymongo, asserting every result.

Runs against MONGODB_URI (default mongodb://localhost:27017): a real mongod,
or odm's wire server in front of the in-memory engine:

    cargo run --example serve --features wire -- --port 27017 &
    python3 tests/clients/pymongo_seed.py
"""

import os
import sys
import uuid

from pymongo import ASCENDING, MongoClient
from pymongo.errors import DuplicateKeyError


def main() -> int:
    uri = os.environ.get("MONGODB_URI", "mongodb://localhost:27017")
    client = MongoClient(uri, serverSelectionTimeoutMS=3000)
    db = client[f"odm_seed_{uuid.uuid4().hex[:8]}"]
    plants = db.plants
    try:
        # insert_one
        fern = plants.insert_one({"name": "fern", "water": 2, "tags": ["shade"]})
        assert fern.acknowledged and fern.inserted_id is not None
        plants.insert_one({"name": "cactus", "water": 0, "sun": "full", "tags": []})
        plants.insert_one({"name": "basil", "water": 3, "tags": ["herb"]})
        plants.insert_one({"name": "mint", "water": 3, "tags": ["herb", "shade"]})

        # find with a filter, iterating the cursor (batch size 1 forces getMores)
        thirsty = [p["name"] for p in plants.find({"water": {"$gte": 2}}).sort("name", ASCENDING).batch_size(1)]
        assert thirsty == ["basil", "fern", "mint"], thirsty
        assert plants.find_one({"name": "fern"})["_id"] == fern.inserted_id

        # update_many with $set, $inc, $rename, $unset, $addToSet
        r = plants.update_many({"tags": "herb"}, {"$set": {"kitchen": True}, "$inc": {"water": 1}})
        assert (r.matched_count, r.modified_count) == (2, 2), r.raw_result
        r = plants.update_many({"sun": {"$exists": True}}, {"$rename": {"sun": "light"}})
        assert r.modified_count == 1
        r = plants.update_many({"kitchen": True}, {"$unset": {"kitchen": ""}, "$addToSet": {"tags": "edible"}})
        assert r.modified_count == 2
        basil = plants.find_one({"name": "basil"}, {"_id": 0})
        assert basil == {"name": "basil", "water": 4, "tags": ["herb", "edible"]}, basil
        cactus = plants.find_one({"name": "cactus"})
        assert cactus["light"] == "full" and "sun" not in cactus, cactus
        # $addToSet does not add twice
        r = plants.update_many({"name": "basil"}, {"$addToSet": {"tags": "edible"}})
        assert (r.matched_count, r.modified_count) == (1, 0)

        # replace_one keeps the _id
        r = plants.replace_one({"name": "fern"}, {"name": "fern", "water": 1})
        assert (r.matched_count, r.modified_count) == (1, 1)
        assert plants.find_one({"_id": fern.inserted_id}) == {"_id": fern.inserted_id, "name": "fern", "water": 1}

        # create_index, then a duplicate is refused
        assert plants.create_index([("name", ASCENDING)], unique=True) == "name_1"
        assert "name_1" in plants.index_information()
        try:
            plants.insert_one({"name": "fern"})
            raise AssertionError("a duplicate name was accepted")
        except DuplicateKeyError as e:
            assert e.code == 11000

        # an aggregation with $match and $group
        groups = list(
            plants.aggregate(
                [
                    {"$match": {"water": {"$gt": 0}}},
                    {"$group": {"_id": {"$gt": ["$water", 2]}, "n": {"$sum": 1}, "total": {"$sum": "$water"}}},
                    {"$sort": {"_id": 1}},
                ]
            )
        )
        assert groups == [{"_id": False, "n": 1, "total": 1}, {"_id": True, "n": 2, "total": 8}], groups

        # delete_many
        r = plants.delete_many({"tags": "edible"})
        assert r.deleted_count == 2
        assert plants.count_documents({}) == 2
        assert sorted(plants.distinct("name")) == ["cactus", "fern"]
    finally:
        client.drop_database(db.name)
        client.close()
    print("pymongo walk-through: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
